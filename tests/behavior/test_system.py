

def test_a_very_large_single_cohort_draws_ties_from_a_pool_between_programmes():
    # 160 programmes x ~4 seats: the first session has more than 512 attendees (the pooled draw).
    model = BSCModel(load_params(["cohort.n_programs=160"]), seed=2, create_agents=False)
    while model.week <= 6:
        model.step()
    ties = model.pop.ties
    attended = (model.pop.staff.reinforced_week[ties.slots] == 6).sum()
    assert attended > 512
    assert (ties.program[ties.a] != ties.program[ties.b]).all() and (ties.a < ties.b).all()
    # About session_new_ties (2) new ties per attendee, each pair counted once: between 0.5 and 2 per attendee.
    assert 0.5 * attended < ties.n_formed < 2.0 * attended
