"""Typed, frozen model parameters: one line per parameter with its unit and source.

Time unit: one model step is one **week**, and every rate here is per week unless its unit says
otherwise. Annual turnover is converted to a weekly hazard inside the model
(h = 1 - (1 - T)^(1/52)); the Bass rates, given per year in the literature, are shown divided by 52.

Sources cite works by their key in ``docs/references.md``, e.g. "[opre2016]" for the CCL project page.
"assumption" marks a value the literature does not pin down; each is a parameter so that
sensitivity analysis can vary it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from .paramtools import Checked, ParamError, from_mapping, param

Level = Literal["classroom", "program", "family"]
Modality = Literal["in_person", "virtual"]
Selection = Literal["open", "readiness"]

P01 = {"lo": 0.0, "hi": 1.0}  # probability / share / index on [0, 1]
NONNEG = {"lo": 0.0}


@dataclass(frozen=True)
class CohortParams(Checked):
    """Which programmes join the collaborative."""

    n_programs: int = param(8, unit="programmes", lo=1, source="[opre2016]: CCL Phase I planned 8 settings (4 HS + 4 CC)", doc="programmes in the cohort")
    frac_head_start: float = param(0.5, unit="share", **P01, source="[opre2016]: 4 of 8 planned settings were Head Start", doc="share of the cohort that is Head Start")
    selection: Selection = param("open", unit="-", source="assumption: CCL used an application [childtrendsnd]; its criteria were not found", doc="'open' enrolment, or 'readiness': the applicants with the highest composite readiness (incl. low turnover)")
    applicant_pool_factor: float = param(1.5, unit="applicants/place", lo=1.0, source="assumption", doc="applicants per place when selecting by readiness")


@dataclass(frozen=True)
class ProgramParams(Checked):
    """Size and structure of programmes (centres)."""

    classrooms_mean_head_start: float = param(5.0, unit="classrooms", lo=1.0, source="[abcd2015]: ~90 children per Boston HS site (derived) / ~17 per room", doc="mean classrooms per Head Start site")
    classrooms_mean_child_care: float = param(3.6, unit="classrooms", lo=1.0, source="[nsece2013]: ~54 children per centre (6.98M / 129k, derived) / ~15 per room", doc="mean classrooms per child care centre")
    children_per_classroom_head_start: int = param(17, unit="children", lo=1, source="[naeyc2018]: preschool max group 20; [cfoc2019]: 4-5 y group 16", doc="enrolled children (families) per HS classroom")
    children_per_classroom_child_care: int = param(15, unit="children", lo=1, source="[cfoc2019]: 3-y group 14, 4-5 y group 16", doc="enrolled children (families) per child care classroom")
    p_education_manager_child_care: float = param(0.5, unit="probability", **P01, source="assumption: HS programmes always have an education coordinator [faces2000]; small centres often do not", doc="chance a child care centre has an education manager/coach")
    n_family_services_head_start: int = param(1, unit="staff", lo=0, source="[faces2000]: HS programmes have parent-involvement/social-services coordinators", doc="family-services staff per HS site")
    n_family_services_child_care: int = param(0, unit="staff", lo=0, source="assumption", doc="family-services staff per child care centre")
    children_per_family_child_care: int = param(8, unit="children", lo=1, source="[massbudget2024]: 43,077 licensed FCC slots / ~5,400 homes in Massachusetts (2024) = 8.0 (derived)", doc="enrolled children (families) of a family child care home: one provider, one mixed-age group, no other staff")


@dataclass(frozen=True)
class ReadinessParams(Checked):
    """Organisational readiness profile [weiner2009], each drawn from a Beta(mean, concentration)."""

    change_commitment_mean: float = param(0.6, unit="index 0-1", **P01, source="assumption; construct from [weiner2009]", doc="mean shared resolve to implement")
    change_efficacy_mean: float = param(0.5, unit="index 0-1", **P01, source="assumption; construct from [weiner2009]", doc="mean shared belief in capability to implement")
    leadership_support_mean: float = param(0.6, unit="index 0-1", **P01, source="assumption; leadership buy-in named by [halle2025]", doc="mean leadership support/endorsement")
    data_capacity_mean: float = param(0.4, unit="index 0-1", **P01, source="assumption; data burden named as a barrier [douglass2019; tout2021]", doc="mean capacity to collect and use data")
    time_slack_mean: float = param(0.4, unit="index 0-1", **P01, source="assumption; staffing shortages named in the theory of change [douglass2019]", doc="mean time/resource slack for improvement work")
    head_start_data_shift: float = param(0.1, unit="index 0-1", lo=-1.0, hi=1.0, source="assumption: HS has monitoring/PIR data systems", doc="added to data capacity of Head Start sites")
    family_child_care_data_shift: float = param(-0.1, unit="index 0-1", lo=-1.0, hi=1.0, source="assumption: a home provider works alone, without an office or data system", doc="added to data capacity of family child care homes")
    family_child_care_slack_shift: float = param(-0.1, unit="index 0-1", lo=-1.0, hi=1.0, source="assumption: a lone provider has no one to cover time away from the children", doc="added to time slack of family child care homes")
    concentration: float = param(8.0, unit="-", lo=0.0, lo_open=True, source="assumption", doc="Beta concentration (a+b) of every readiness dimension")


@dataclass(frozen=True)
class TurnoverParams(Checked):
    """Staff and family turnover [bassok2021; doromal2022; mathematica2022]."""

    annual_rate_mean: float = param(0.25, unit="share/year", **P01, source="[mathematica2022]: 25-30% a year; [doromal2022]: 40% in Louisiana", doc="mean programme-level annual staff turnover")
    rate_concentration: float = param(2.0, unit="-", lo=0.0, lo_open=True, source="[doromal2022; clevelandfed2024]: heterogeneous and persistent; roughly reproduces it (34% of 10-staff centres lose nobody in a year vs 44% observed; 45% have T>=0.2 vs about a third)", doc="Beta concentration of programme turnover propensity")
    family_child_care_rate_mean: float = param(0.10, unit="share/year", **P01, source="assumption: a home's provider is its owner, who leaves only when the home closes or changes hands; Massachusetts lost FCC homes from >5,400 to >5,000 a year apart [massbudget2024], a net fall of ~7%", doc="mean annual turnover (provider exit, the home taken over by a new provider) of family child care homes")
    vacancy_weeks_mean: float = param(6.0, unit="weeks", lo=1.0, source="assumption: staffing shortages [douglass2019]", doc="mean weeks a vacancy stays open (geometric, at least 1)")
    leader_departure_culture_shock: float = param(0.15, unit="share of culture", **P01, source="assumption: a leader's exit is the biggest shock; climate falls in the year a leader changes [bartanen2019]", doc="share of the learning culture lost when the director leaves")
    team_backfill_uses_leadership: bool = param(True, unit="-", source="assumption", doc="a newcomer joins the team with probability = leadership support")
    onboarding_fidelity: float = param(0.5, unit="fidelity 0-1", **P01, source="assumption", doc="starting fidelity of a newcomer for a practice the programme has embedded")
    onboarding_prob: float = param(1.0, unit="probability at culture 1", **P01, source="assumption: colleagues pass an embedded practice on only as far as the learning culture carries it (turnover loses organisational knowledge [pascoe2021])", doc="chance a newcomer takes up an embedded practice = this x the programme's learning culture")
    family_annual_rate: float = param(0.35, unit="share/year", **P01, source="assumption: children age out; no rate found", doc="annual family turnover")


@dataclass(frozen=True)
class StaffParams(Checked):
    """Individual staff attributes at entry."""

    skill_mean: float = param(0.4, unit="index 0-1", **P01, source="assumption", doc="mean QI skill of staff")
    skill_concentration: float = param(6.0, unit="-", lo=0.0, lo_open=True, source="assumption", doc="Beta concentration of QI skill")
    skill_decay_weekly: float = param(0.015, unit="share of gain/week", **P01, source="[tatel2025]: half of a procedural-skill gain is lost after 6.5-13 months without use; 0.015/week = half-life ~11 months (mixed tasks) (range 0.012-0.025)", doc="weekly loss of QI skill above a person's entry level in a week without reinforcement (no meeting, session, congress, call, test, PDSA decision, coaching visit or workshop)")
    threshold_mean: float = param(0.2, unit="share of contacts", **P01, source="[watts2002]: adoption thresholds 0.15-0.2 lie in the cascade window", doc="mean adoption threshold (openness is its inverse)")
    threshold_sd: float = param(0.08, unit="share of contacts", **P01, source="assumption; 0.05-0.35 is the plausible range of the mean [watts2002]", doc="sd of adoption thresholds (clipped normal)")
    initial_use_prob: float = param(0.05, unit="probability", **P01, source="assumption: some classrooms already use SEL practices like the package's (range 0.02-0.15); no share of classrooms using Pyramid-type practices at baseline was found, and Head Start CLASS emotional support averages 5.4-6.0 of 7 [ohs2019], moderate-to-good", doc="chance an eligible staff member already uses a practice at week 0; a baseline user practises at their own unsupported level (sustain.unsupported_mean), so some are at fidelity")
    belief_prior_mean: float = param(0.55, unit="probability", **P01, source="[ihi2003]: IHI starts a BTS only when belief in the changes is moderate to high", doc="mean prior belief that a practice works")
    belief_prior_concentration: float = param(10.0, unit="-", lo=0.0, lo_open=True, source="assumption", doc="Beta concentration of prior beliefs")


@dataclass(frozen=True)
class PracticeParams(Checked):
    """One practice of the change package; Rogers attributes on 0-1 (0.5 neutral; [rogers2003])."""

    level: Level = param("classroom", unit="-", source="design", doc="who uses it: classroom staff, programme leaders, or families at home")
    effect: float = param(0.65, unit="probability", **P01, source="assumption: QIC success tied to a strong evidence base [wells2018]", doc="true chance a well-run test in one classroom shows benefit")
    relative_advantage: float = param(0.6, unit="index 0-1", **P01, source="assumption; direction [rogers2003]", doc="Rogers relative advantage (+)")
    compatibility: float = param(0.6, unit="index 0-1", **P01, source="assumption; direction [rogers2003]", doc="Rogers compatibility (+)")
    complexity: float = param(0.5, unit="index 0-1", **P01, source="assumption; direction [rogers2003]", doc="Rogers complexity (-); also slows fidelity growth")
    trialability: float = param(0.6, unit="index 0-1", **P01, source="assumption; direction [rogers2003]", doc="Rogers trialability (+)")
    observability: float = param(0.5, unit="index 0-1", **P01, source="assumption; direction [rogers2003]", doc="Rogers observability (+)")
    hours_per_week: float = param(1.0, unit="hours/week", **NONNEG, source="assumption", doc="time cost of using the practice")


def _practice(level: str, effect: float, ra: float, compat: float, cx: float, trial: float, obs: float, hours: float) -> PracticeParams:
    return PracticeParams(level, effect, ra, compat, cx, trial, obs, hours)  # type: ignore[arg-type]


def default_change_package() -> Mapping[str, PracticeParams]:
    """An illustrative SEL change package of 5 practices (assumption: CCL's package was not found)."""
    return dict(
        {  #                               level       effect  RA   comp  cplx trial  obs  hours
            "emotion_coaching": _practice("classroom", 0.70, 0.7, 0.7, 0.5, 0.7, 0.5, 1.0),
            "visual_routines": _practice("classroom", 0.65, 0.6, 0.8, 0.3, 0.8, 0.8, 0.5),
            "friendship_skills": _practice("classroom", 0.60, 0.6, 0.6, 0.5, 0.6, 0.6, 1.5),
            "reflective_supervision": _practice("program", 0.55, 0.5, 0.5, 0.6, 0.5, 0.3, 1.0),
            "home_feelings_talk": _practice("family", 0.60, 0.6, 0.6, 0.3, 0.8, 0.4, 0.5),
        }
    )


@dataclass(frozen=True)
class NetworkParams(Checked):
    """Within-programme staff ties (weights) and cross-programme tie formation."""

    w_classroom: float = param(1.0, unit="tie weight", **NONNEG, source="assumption: co-teachers share a room (classroom clique)", doc="lead-assistant tie in one classroom")
    w_leader_manager: float = param(1.0, unit="tie weight", **NONNEG, source="assumption", doc="director - education manager tie")
    w_manager_teacher: float = param(0.7, unit="tie weight", **NONNEG, source="assumption: coach/education manager supervises teachers", doc="education manager - teaching staff tie")
    w_director_teacher: float = param(0.4, unit="tie weight", **NONNEG, source="assumption", doc="director - teaching staff tie")
    w_family_services: float = param(0.4, unit="tie weight", **NONNEG, source="assumption", doc="family-services staff - director and lead teachers tie")
    p_coworker: float = param(0.3, unit="probability", **P01, source="assumption", doc="chance two teaching staff in different classrooms are tied")
    w_coworker: float = param(0.5, unit="tie weight", **NONNEG, source="assumption", doc="weight of a coworker tie")
    session_new_ties: float = param(2.0, unit="ties/attendee/session", **NONNEG, source="assumption: learning sessions build cross-team ties [zamboni2020]", doc="new cross-programme ties per attendee per session or congress (virtual: x learning.virtual_tie_factor)")
    homophily_odds: float = param(2.0, unit="odds ratio", lo=0.0, lo_open=True, source="assumption: homophily by programme kind", doc="relative chance of tying with a same-kind programme")
    tie_strengthen: float = param(0.5, unit="tie weight/session", **NONNEG, source="assumption", doc="added weight of an existing tie per shared session (calls: x learning.call_effect)")
    tie_decay_weekly: float = param(0.01, unit="share/week", **P01, source="assumption", doc="weekly decay of cross-programme tie weight")


@dataclass(frozen=True)
class SpreadParams(Checked):
    """Within-programme adoption: Bass-like spontaneous and imitative terms plus complex contagion."""

    p_spontaneous: float = param(0.03 / 52, unit="probability/week", **P01, source="[sultan1990]: Bass p = 0.03/year / 52", doc="spontaneous adoption hazard")
    q_imitation: float = param(0.38 / 52, unit="probability/week", **P01, source="[sultan1990]: Bass q = 0.38/year / 52", doc="imitation hazard per unit share of adopting contacts")
    p_threshold: float = param(0.15, unit="probability/week", **P01, source="assumption", doc="weekly adoption chance once the complex-contagion condition holds")
    min_sources: int = param(2, unit="contacts", lo=1, source="[centola2007]: complex contagion needs several sources", doc="adopting contacts needed besides the threshold share")
    w_endorsement: float = param(0.10, unit="threshold shift", **NONNEG, source="assumption: leaders endorse practices [aarons2016]", doc="threshold reduction x leadership when the programme has adopted the practice")
    w_belief: float = param(0.20, unit="threshold shift", **NONNEG, source="assumption", doc="threshold reduction per unit belief above 0.5")
    w_culture: float = param(0.10, unit="threshold shift", **NONNEG, source="assumption", doc="threshold reduction per unit culture above 0.5")
    w_attractiveness: float = param(0.20, unit="threshold shift", **NONNEG, source="[rogers2003]: attribute directions; equal weights (assumption: no quantitative weights found)", doc="threshold reduction per unit Rogers attractiveness")
    w_fit: float = param(0.05, unit="threshold shift per logit", **NONNEG, source="[rogers2003]: compatibility raises adoption (direction); magnitude assumption", doc="threshold reduction per logit of the practice's local fit (adaptations, families on the team)")
    w_time_cost: float = param(0.03, unit="threshold shift/hour", **NONNEG, source="assumption: capability trap [repenning2001]", doc="threshold increase per weekly hour x (1 - time slack)")


@dataclass(frozen=True)
class PDSAParams(Checked):
    """Plan-Do-Study-Act cycles run by teams [langley2009]."""

    p_start_weekly: float = param(0.35, unit="probability/week", **P01, source="assumption: monthly team reports in IHI action periods [ihind]", doc="base chance an idle team starts a cycle in a week")
    plan_weeks: int = param(1, unit="weeks", lo=0, source="assumption: 'what can you do by next Tuesday?' (Casey/IHI child-welfare BSC, [americanhumane2010])", doc="duration of Plan")
    do_weeks: int = param(2, unit="weeks", lo=1, source="assumption", doc="duration of Do")
    study_weeks: int = param(1, unit="weeks", lo=0, source="assumption", doc="duration of Study")
    beta_skill: float = param(1.0, unit="logit per unit", **NONNEG, source="assumption", doc="effect of the testers' QI skill on test success")
    beta_leadership: float = param(1.0, unit="logit per unit", **NONNEG, source="assumption: leadership buy-in [halle2025]", doc="effect of leadership support on test success")
    beta_attractiveness: float = param(1.0, unit="logit per unit", **NONNEG, source="[rogers2003] (directions); magnitude assumption", doc="effect of Rogers attractiveness on test success")
    obs_noise_sd: float = param(0.35, unit="share", **NONNEG, source="assumption: short-term informal data are noisy [opre2016]", doc="sd of the observed result when the team judges by impression; when it measures, x (1 - data capacity)")
    data_support_gain: float = param(0.3, unit="index 0-1", **P01, source="assumption", doc="data capacity added by full data-use support")
    adopt_threshold: float = param(0.6, unit="observed share", **P01, source="assumption", doc="observed success share at or above which the team adopts / scales up")
    abandon_threshold: float = param(0.35, unit="observed share", **P01, source="assumption", doc="observed success share below which the team abandons; between: adapt")
    adapt_gain: float = param(0.3, unit="logit", **NONNEG, source="assumption", doc="gain in local fit of a practice after each adaptation")
    max_fit: float = param(1.0, unit="logit", **NONNEG, source="assumption: adaptation improves fit, not the evidence; an ineffective practice cannot be adapted into an effective one ([williams2026]: a BTS needs a proven change package)", doc="upper bound of a practice's local fit from adaptation and peers")
    belief_rate: float = param(0.3, unit="share", **P01, source="assumption", doc="how far team beliefs move toward a study result")
    programme_belief_rate: float = param(0.1, unit="share", **P01, source="assumption: teams share what they learn with colleagues (intra-organisational learning [nembhard2012])", doc="how far the beliefs of the programme's other staff move toward a study result")
    abandon_ends_use: float = param(1.0, unit="probability", **P01, source="assumption: the team's decision ends the practice in the programme (Model for Improvement: adopt, adapt or abandon [langley2009])", doc="chance each current user in the programme stops when the team abandons a practice (its spread is blocked during the cool-down)")
    scale_factor: float = param(2.0, unit="x classrooms", lo=1.0, lo_open=True, source="[langley2009]: test, then implement, then spread; factor assumption", doc="classrooms tested next cycle after a success")
    choice_sharpness: float = param(4.0, unit="logit per unit belief", **NONNEG, source="assumption", doc="how strongly teams pick the practices they believe in most for a new cycle")
    abandon_cooldown_weeks: int = param(12, unit="weeks", lo=0, source="assumption", doc="weeks before an abandoned practice is tested again")
    fidelity_gain: float = param(0.05, unit="share of gap/week", **P01, source="assumption", doc="extra weekly fidelity growth of testers while a test runs")
    post_collaborative_factor: float = param(0.3, unit="x start rate", **NONNEG, source="assumption: few teams keep cycling once supports end [wells2018]", doc="start-rate multiplier when supports end, times culture/0.5; it then tapers")
    taper_half_life_weeks: float = param(13.0, unit="weeks", lo=0.0, lo_open=True, source="assumption: cycling fades without faculty, calls and reports ([wells2018]: few collaboratives show persistence)", doc="half-life of the post-support start rate")
    momentum_weight: float = param(0.6, unit="-", **P01, source="assumption: action periods stall as the session's energy fades ([ihi2003]: learning sessions drive the action periods)", doc="how much session momentum sets the start rate: x (1 - w + 2 w momentum)")
    beta_momentum: float = param(0.5, unit="logit per unit", **NONNEG, source="assumption: knowledge from sessions fades [tatel2025]", doc="effect of session momentum (centred at 0.5) on test success")
    no_leader_start_factor: float = param(0.5, unit="x start rate", **P01, source="[butler2014]: unprotected time and weak leadership support limited participation; magnitude assumption", doc="start-rate multiplier while no director or education manager is present on the team (nobody allocates time)")
    data_support_time_saving: float = param(0.5, unit="share", **P01, source="assumption: data burden [douglass2019]; external data coaching helps [carlson2011]", doc="share of data-collection time saved by full data-use support")


@dataclass(frozen=True)
class LearningParams(Checked):
    """Learning sessions, calls and learning across programmes."""

    attendance_in_person: float = param(0.85, unit="probability", **P01, source="assumption", doc="chance a team member attends an in-person session")
    attendance_virtual: float = param(0.9, unit="probability", **P01, source="assumption", doc="chance a team member attends a virtual session")
    virtual_learning_factor: float = param(0.85, unit="x effect", **P01, source="[powell2010; fishman2013]: remote and in-person coaching/PD gave no significant difference; [boushon2006]: virtual BTS, 59% of teams significant improvement; small loss assumed", doc="multiplier on what a virtual session gives: skill, knowledge, efficacy, momentum, sharing of results and adaptations, culture")
    virtual_tie_factor: float = param(0.5, unit="x ties", **P01, source="assumption: no data on tie formation online; collaboratives rewire networks only modestly even in person [bunger2016]", doc="multiplier on new ties and tie strengthening at virtual sessions")
    momentum_gain: float = param(0.5, unit="share of gap/session", **P01, source="assumption: sessions give motivation and know-how [zamboni2020]", doc="rise of a team's session momentum per session (x the share of its seats attending), saturating")
    momentum_half_life_weeks: float = param(8.0, unit="weeks", lo=0.0, lo_open=True, source="assumption; shorter than skill decay [tatel2025] and of the order of the best gap for a year's retention (5-10% of the retention interval, [cepeda2008])", doc="half-life of session momentum between sessions")
    massed_discount: float = param(0.8, unit="share per unit momentum", **P01, source="[cepeda2006; cepeda2008]: spaced beats massed learning; relearning after partial forgetting consolidates more; magnitude assumption", doc="share of a session's lasting gains (skill, knowledge, efficacy) lost per unit of session momentum still left when it starts")
    faculty_dilution: float = param(0.1, unit="per programme/faculty", **NONNEG, source="[baskerville2012]: caseload per facilitator moderates effects; magnitude assumption", doc="session gains (skill, knowledge, efficacy, momentum, sharing, culture) are divided by 1 + this x (programmes per faculty member above the reference)")
    programs_per_faculty_ref: float = param(8 / 6, unit="programmes/faculty", lo=0.0, lo_open=True, source="[opre2016]: CCL's 8 programmes; [ihi2003]: a faculty of 5-8 (about 6)", doc="programmes per faculty member at which session gains are undiluted")
    cross_fit_rate: float = param(0.05, unit="share of gap/week", **P01, source="[ramanadhan2010]: peers transmit skills; magnitude assumption", doc="weekly rise of a programme's fit toward better-fitting adaptations of programmes it is tied to")
    peer_start_boost: float = param(0.5, unit="x start rate", **NONNEG, source="[kiefe2001]: peer benchmarking OR 1.57; [zamboni2020]: normative pressure; magnitude assumption", doc="start-rate gain when tied programmes have recently shared a successful test (saturating in tie weight)")
    skill_gain: float = param(0.15, unit="share of gap", **P01, source="assumption; 72-78% of a child-safety learning collaborative reported knowledge gains (survey not in the bibliography)", doc="QI skill gain per session attended")
    belief_gain: float = param(0.2, unit="share of gap", **P01, source="assumption: faculty present the evidence", doc="belief moves toward the practice's true effect per session")
    share_rate: float = param(0.3, unit="share of gap", **P01, source="[zamboni2020; nembhard2009]: cross-team interaction; magnitude assumption", doc="'all teach, all learn': belief moves toward the pooled shared results per session")
    cross_rate: float = param(0.05, unit="share of gap/week", **P01, source="assumption", doc="weekly belief update from tied members of other programmes")
    call_attendance: float = param(0.7, unit="probability", **P01, source="assumption", doc="chance a team member joins a call")
    result_memory_weeks: int = param(26, unit="weeks", lo=1, source="assumption", doc="how long a programme's latest PDSA result is shared")
    call_effect: float = param(0.3, unit="x session effect", **P01, source="assumption: calls are lighter than sessions", doc="sharing and tie strengthening of a call relative to a session")
    meeting_commitment_gain: float = param(0.05, unit="index 0-1", **P01, source="assumption: choosing the areas together builds commitment [childtrendsnd]", doc="rise of change commitment from the community meeting")
    efficacy_gain: float = param(0.03, unit="index 0-1/session", **P01, source="assumption: efficacy rises with implementation [weiner2009]", doc="rise of programme change efficacy per session attended")


@dataclass(frozen=True)
class CollaborativeParams(Checked):
    """The BSC calendar: community meeting, prework, learning sessions, calls, congress [ihi2003; ihind]."""

    enabled: bool = param(True, unit="-", source="design", doc="run a collaborative at all")
    community_meeting: bool = param(True, unit="-", source="[childtrendsnd]: CCL began with a community meeting", doc="hold a community meeting in week 0")
    prework_weeks: int = param(6, unit="weeks", lo=0, source="[ihind]: prework before LS1; length assumption", doc="weeks from start to the first learning session")
    n_sessions: int = param(3, unit="sessions", lo=0, source="[ihi2003]: IHI standard is 3; CCL's count was not found (project descriptions say three or four)", doc="learning sessions")
    session_spacing_weeks: int = param(15, unit="weeks", lo=1, source="[ihi2003]: LS-AP cycles over 6-15 months; assumption", doc="weeks between learning sessions")
    modality: Modality = param("in_person", unit="-", source="assumption: CCL descriptions say in-person sessions; the format was not confirmed", doc="learning-session modality")
    session_hours: float = param(6.0, unit="hours", **NONNEG, source="assumption: one working day", doc="length of a learning session")
    duration_weeks: int = param(52, unit="weeks", lo=1, source="[childtrendsnd]: CCL ran about 12 months", doc="length of the collaborative (ends with the congress)")
    call_interval_weeks: int = param(4, unit="weeks", lo=0, source="[ihind]: monthly phone conferences/reports in action periods", doc="weeks between calls (0: none)")
    congress: bool = param(True, unit="-", source="[ihind]: closing congress", doc="hold a closing congress at the end")
    data_use_support: float = param(0.5, unit="index 0-1", **P01, source="assumption: faculty teach measurement ([nadeem2013]: data collection is a common component)", doc="strength of data-use support during the collaborative")
    followup_support_weeks: int = param(0, unit="weeks", lo=0, source="design", doc="weeks after the end during which supports continue: calls, data support, the full PDSA start rate, team feedback, the slow culture decay; the post-support taper, lapse ramp and erosion start after them")
    cross_learning: bool = param(True, unit="-", source="[nembhard2009]: inter-organisational learning", doc="learning across programmes (ties, shared results and adaptations, peer encouragement)")


@dataclass(frozen=True)
class TeamParams(Checked):
    """Composition of each programme's improvement team ([opre2016]: staff at all levels plus families)."""

    enabled: bool = param(True, unit="-", source="design", doc="programmes form improvement teams that run PDSA cycles")
    n_director: int = param(1, unit="members", lo=0, source="[opre2016]: teams include directors", doc="directors/site leaders on the team")
    n_education_manager: int = param(1, unit="members", lo=0, source="[childtrendsnd]: staff at all levels", doc="education managers/coaches on the team")
    n_lead_teacher: int = param(1, unit="members", lo=0, source="[opre2016]: teachers", doc="lead teachers on the team")
    n_assistant_teacher: int = param(1, unit="members", lo=0, source="[childtrendsnd]: staff at all levels", doc="assistant teachers on the team")
    n_family_services: int = param(0, unit="members", lo=0, source="assumption", doc="family-services staff on the team")
    n_family: int = param(1, unit="members", lo=0, source="[opre2016]: teams include parents", doc="family members on the team")


@dataclass(frozen=True)
class CoachingParams(Checked):
    """A coach/consultant per programme working with one teacher at a time (the single-coach alternative)."""

    enabled: bool = param(False, unit="-", source="design", doc="each programme has a coach")
    visit_interval_weeks: int = param(2, unit="weeks", lo=1, source="assumption", doc="weeks between coaching visits")
    weeks: int = param(52, unit="weeks", lo=0, source="assumption: same length as the collaborative", doc="weeks of coaching")
    weeks_per_teacher: int = param(8, unit="weeks", lo=1, source="assumption", doc="weeks the coach stays with one focus teacher")
    p_seed: float = param(0.5, unit="probability/visit", **P01, source="assumption", doc="chance the focus teacher starts the practice at a visit")
    fidelity_gain: float = param(0.15, unit="share of gap/visit", **P01, source="assumption", doc="fidelity gain of the focus teacher per visit")
    belief_gain: float = param(0.15, unit="share of gap/visit", **P01, source="assumption", doc="belief moves toward the true effect per visit")
    hours_per_visit: float = param(3.0, unit="hours", **NONNEG, source="assumption: visit plus travel", doc="coach hours per visit")


@dataclass(frozen=True)
class TrainingParams(Checked):
    """A one-off workshop for teaching and family-services staff (the one-off training alternative)."""

    enabled: bool = param(False, unit="-", source="design", doc="hold a one-off workshop")
    week: int = param(2, unit="week", lo=0, source="assumption", doc="week of the workshop")
    attendance: float = param(0.8, unit="probability", **P01, source="assumption", doc="chance a teaching or family-services staff member attends")
    p_try: float = param(0.1, unit="probability/practice", **P01, source="assumption (range 0.05-0.25): sized so that a workshop's gain in classrooms reached is a small fraction (about 0.1-0.4) of a coach's, as workshop-only PD has 0-0.2 SD effects on practice [artmanmeeker2014] against 0.49 SD for coaching [kraft2018]", doc="chance an attendee starts each classroom/family practice")
    belief_gain: float = param(0.15, unit="share of gap", **P01, source="assumption", doc="belief moves toward the true effect")
    lasting_gain: float = param(0.02, unit="fidelity 0-1", **P01, source="assumption (range 0-0.04): workshop-only PD has small effects on practice, 0-0.2 SD (no pooled figure; coaching added to a workshop gave small further gains [artmanmeeker2014]); 0.02 is about 0.1 SD of personal unsupported levels (sd ~0.16)", doc="one-off rise of each attendee's lasting level on every classroom and family practice (it fades with sustain.retained_half_life_weeks)")
    skill_gain: float = param(0.05, unit="share of gap", **P01, source="assumption", doc="QI skill gain")
    hours: float = param(6.0, unit="hours", **NONNEG, source="assumption", doc="workshop length")


@dataclass(frozen=True)
class FamilyParams(Checked):
    """Family engagement and home use of family-facing practices."""

    engagement_mean: float = param(0.4, unit="index 0-1", **P01, source="assumption; Head Start FACES 2014 found family engagement weaker on collaborative goal setting (not in the bibliography)", doc="mean baseline engagement")
    engagement_concentration: float = param(5.0, unit="-", lo=0.0, lo_open=True, source="assumption", doc="Beta concentration of engagement")
    engagement_rate: float = param(0.05, unit="share of gap/week", **P01, source="assumption", doc="weekly drift of engagement toward its current target")
    boost_promoted: float = param(0.2, unit="index 0-1", **P01, source="assumption", doc="target rise when a classroom teacher promotes a family practice")
    boost_session: float = param(0.05, unit="index 0-1", **P01, source="assumption", doc="rise of a team family's baseline engagement per session attended")
    boost_team_family: float = param(0.1, unit="index 0-1", **P01, source="assumption: families on teams [opre2016]", doc="target rise when a family from the classroom is on the team")
    p_uptake: float = param(0.08, unit="probability/week", **P01, source="assumption", doc="home uptake hazard x engagement x share of teachers promoting")
    team_fit_family: float = param(0.5, unit="logit", **NONNEG, source="assumption: no effect size found for families on QI teams [sharma2017]; direction from CCL's inclusive teams [opre2016] and parent-teacher partnership [sheridan2019; smith2020]", doc="local fit of family-facing practices while a family member sits on the team")
    team_fit_classroom: float = param(0.2, unit="logit", **NONNEG, source="assumption: cultural compatibility of classroom practices (no experimental evidence, [sharma2017])", doc="local fit of classroom practices while a family member sits on the team")
    home_lapse: float = param(0.02, unit="probability/week", **P01, source="assumption", doc="weekly chance a family stops home use")


@dataclass(frozen=True)
class DisruptionParams(Checked):
    """Organisational disruption: competing priorities, staffing crises and a director's exit derail a team."""

    enabled: bool = param(True, unit="-", source="design: collaboratives and programmes can fail", doc="programmes can be derailed and drop out")
    base_weekly: float = param(0.006, unit="probability/week", **P01, source="[butler2014]: competing priorities limit participation (qualitative); magnitude assumption (~27% a year at average conditions)", doc="weekly chance an average programme is derailed")
    w_vacancy: float = param(4.0, unit="log-hazard per unit", **NONNEG, source="[doromal2022; pascoe2021]: staffing crises and turnover erode implementation; magnitude assumption", doc="rise of the derailment log-hazard per unit share of vacant posts")
    w_slack: float = param(1.0, unit="log-hazard per unit", **NONNEG, source="[repenning2001]: time pressure pulls effort from improvement; magnitude assumption", doc="rise of the log-hazard per unit shortfall of time slack below 0.5 (x2)")
    w_leadership: float = param(1.0, unit="log-hazard per unit", **NONNEG, source="[aarons2016]: leadership predicts sustainment; magnitude assumption", doc="fall of the log-hazard per unit leadership support above 0.5 (x2)")
    p_on_director_exit: float = param(0.5, unit="probability", **P01, source="[bartanen2019]: climate drops in the year a leader changes; magnitude assumption", doc="chance a director's departure derails the programme")
    p_dissolve_on_director_exit: float = param(0.15, unit="probability", **P01, source="[boushon2006; thies2020; zubkoff2024]: 8-15% of teams withdraw; CCL planned 8 settings, 7 reported [opre2016; opre2021]", doc="chance a director's departure dissolves the team (the programme leaves the collaborative)")
    mean_weeks: float = param(10.0, unit="weeks", lo=1.0, source="assumption ([miller2013]: a leader change dips performance for 1-2 years; crises are shorter)", doc="mean length of a derailment (geometric)")
    dropout_weekly: float = param(0.015, unit="probability/week", **P01, source="[boushon2006; thies2020; zubkoff2024]: 8-15% of enrolled teams did not complete; magnitude assumption", doc="weekly chance a derailed programme leaves the collaborative (while its supports run)")
    attendance_factor: float = param(0.5, unit="x attendance", **P01, source="assumption: competing priorities keep staff from sessions [butler2014]", doc="attendance multiplier at sessions and calls while derailed")
    support_factor: float = param(0.5, unit="x feedback", **P01, source="assumption: supports are blunted while a programme is in crisis", doc="multiplier on team, endorsement, peer-coaching and supervision feedback while derailed (coaching visits are skipped)")


@dataclass(frozen=True)
class SustainParams(Checked):
    """Fidelity growth, lasting skill, lapse and embedding (ODD 7.12)."""

    fidelity_rate: float = param(0.15, unit="share of gap/week", **P01, source="assumption: about ten weeks from a first try to fidelity with full feedback (practice-based coaching over a term [hemmeter2016]); time-to-fidelity was not found", doc="weekly fidelity growth while using, x (1.5 - complexity) x (0.5 + skill)")
    unsupported_mean: float = param(0.6, unit="fidelity 0-1", **P01, source="assumption (range 0.45-0.75): practice without feedback settles at a personal level, on average below the fidelity criterion (integrity falls within days to weeks once feedback stops [noell1997]); Head Start CLASS emotional support averages 5.4-6.0 of 7 [ohs2019], so unsupported practice is moderate to good", doc="mean of each person's unsupported fidelity level on each practice (Beta): what they practise at with no feedback and no lasting skill gained")
    unsupported_concentration: float = param(8.0, unit="-", lo=0.0, lo_open=True, source="assumption (range 4-20): CLASS scores of Head Start grantees have sd 0.35-0.45 on a 7-point scale [ohs2019] and classrooms vary more; at 8 about 11% of people practise at fidelity 0.8 unsupported", doc="Beta concentration (a+b) of the personal unsupported levels")
    drift_rate: float = param(0.1, unit="share of gap/week", **P01, source="[noell1997]: teachers' implementation integrity stayed adequate for days after training and then deteriorated until feedback restored it; weeks, so 0.1/week = half-life ~7 weeks (range 0.05-0.5)", doc="weekly fall of fidelity toward its ceiling when the ceiling is lower (the part that rested on feedback)")
    internalise_rate: float = param(0.1, unit="share of gap/week", **P01, source="assumption (range 0.03-0.3): practice sustained under feedback over weeks becomes lasting skill; about 8 weeks of coaching (a focus spell) leave most of the gain", doc="weekly rise of a person's lasting level toward their fidelity while fidelity is above it")
    retained_half_life_weeks: float = param(60.0, unit="weeks", lo=0.0, lo_open=True, source="[tatel2025]: half of a skill gain is lost after 6.5-13 months without use; coached teachers retain 0.3-0.4 [wolf2019], 0.7-1.0 [kraft2014] and about 1.0 [barton2020] (Pyramid Model RCT, Hemmeter et al. 2018) of their gains a year on; 60 weeks = 0.55 retained after 52 weeks (range 30-350 weeks = 0.3-0.9)", doc="half-life of lasting skill above a person's unsupported level (it decays toward that level)")
    fidelity_threshold: float = param(0.8, unit="fidelity 0-1", **P01, source="assumption: the conventional 80% fidelity criterion (range 0.7-0.9)", doc="fidelity at which use counts as 'at fidelity'")
    lapse_weekly: float = param(0.02, unit="probability/week", **P01, source="point value: a fit (configs/calibration/default.yaml: 0.0199) to enrolled fidelity [amayajackson2018] and sustainment [wong2022; wells2018] of the model before issue 18; the calibrated posterior (configs/posterior, docs/calibration.md) puts it higher, and planner answers draw it from there", doc="base lapse hazard of a user")
    w_culture: float = param(1.5, unit="log-hazard per unit", **NONNEG, source="assumption", doc="lapse reduction per unit learning culture")
    w_leadership: float = param(0.5, unit="log-hazard per unit", **NONNEG, source="assumption", doc="lapse reduction per unit leadership support")
    w_routine: float = param(1.0, unit="log-hazard", **NONNEG, source="assumption: routinisation", doc="lapse reduction when the practice is embedded in the programme")
    w_belief: float = param(1.0, unit="log-hazard per unit", **NONNEG, source="assumption", doc="lapse increase per unit belief below 0.5")
    support_withdrawal: float = param(2.0, unit="x hazard", lo=1.0, source="assumption: supports ending raise lapse (extra support is needed to sustain [ward2008]); 37% still delivering 2 years on [wong2022]", doc="lapse multiplier reached long after collaborative supports end")
    withdrawal_weeks: float = param(26.0, unit="weeks", lo=0.0, lo_open=True, source="[tatel2025; arthur1998; edmunds2014]: skills and supports decay over months after training or consultation ends; assumption", doc="time constant of the rise of the lapse multiplier after supports end: 1 + (support_withdrawal - 1)(1 - exp(-t/this))")
    experience_rate: float = param(0.02, unit="share of gap/week", **P01, source="assumption: users see whether a practice works in their classroom (sustainment follows results)", doc="weekly move of a user's belief toward the practice's success chance in their programme")
    culture_feedback: float = param(0.12, unit="feedback per unit culture", **P01, source="fitted (configs/calibration/default.yaml: 0.115, searched 0-1, to the targets of [amayajackson2018; wong2022] under the process before issue 18, to be refitted; poorly identified: any value below about 0.4 fits as well); a learning culture gives staff some feedback on their practice by itself", doc="feedback (0-1) a programme's learning culture gives every staff member: this x culture")
    peer_coaching_feedback: float = param(0.7, unit="feedback 0-1", **P01, source="[ramanadhan2010]: 77% of staff gained skills from peers; capacity built across the organisation [douglass2019]; magnitude assumption", doc="feedback to a staff member with a contact on the team who uses the practice at fidelity (colleagues coach colleagues)")
    supervision_feedback: float = param(0.6, unit="feedback 0-1", **P01, source="assumption: reflective supervision gives staff feedback (its effect was not found)", doc="feedback to the staff of a programme whose leaders use a programme-level practice at fidelity (not to the leaders themselves)")
    w_home_continuity: float = param(1.0, unit="log-hazard per unit", **NONNEG, source="[bierman2015]: home-school continuity sustains classroom SEL gains; magnitude assumption", doc="lapse reduction of classroom staff per unit share of their classroom's families using a home practice")
    start_fidelity: float = param(0.1, unit="fidelity 0-1", **P01, source="assumption", doc="fidelity of someone who has just started a practice")
    embed_threshold: float = param(0.5, unit="share", **P01, source="assumption", doc="share of eligible staff at fidelity for a practice to count as embedded")


@dataclass(frozen=True)
class CultureParams(Checked):
    """The learning-culture index [tout2021]."""

    initial_mean: float = param(0.3, unit="index 0-1", **P01, source="assumption", doc="mean initial learning culture")
    concentration: float = param(6.0, unit="-", lo=0.0, lo_open=True, source="assumption", doc="Beta concentration of initial culture")
    gain_per_cycle: float = param(0.04, unit="share of gap/cycle", **P01, source="assumption: improvement habits [zamboni2020]; team use of data predicts sustainment [mcintosh2018]", doc="culture gain per completed PDSA cycle whose data were used")
    gain_leadership: float = param(0.004, unit="share of gap/week", **P01, source="assumption: shared leadership [zamboni2020]", doc="weekly gain x leadership while a team is active")
    gain_session: float = param(0.02, unit="share of gap/session", **P01, source="assumption", doc="gain when the team attends a session")
    decay_weekly: float = param(0.004, unit="share/week", **P01, source="assumption: decays slowly while reinforced", doc="weekly relaxation toward the programme's initial culture while supports run")
    decay_unsupported_weekly: float = param(0.015, unit="share/week", **P01, source="[tatel2025]: half of a trained gain lost after ~6.5-13 months without use; [lima2025]: Pyramid fidelity drifted down over years", doc="weekly relaxation toward the initial culture once supports have ended (or the programme dropped out)")


@dataclass(frozen=True)
class ProgressParams(Checked):
    """IHI-style 1-5 team progress score from the change in classroom reach ([ihind]; cut-offs assumption)."""

    modest: float = param(0.10, unit="share of classrooms", **P01, source="[ihind]: level 3 = modest improvement; cut-off assumption", doc="reach gain for a score of 3")
    significant: float = param(0.25, unit="share of classrooms", **P01, source="[ihind]: level 4 = significant improvement; cut-off assumption", doc="reach gain for a score of 4")
    outstanding_reach: float = param(0.6, unit="share of classrooms", **P01, source="[ihind]: levels 4-5 sustained and spread; cut-off assumption", doc="reach (with an embedded practice) for a score of 5")


@dataclass(frozen=True)
class SystemParams(Checked):
    """A statewide system (issue 11): programmes of three kinds in regions, cohorts formed per region
    and started in waves, limited by each region's faculty. Off: one collaborative of
    ``cohort.n_programs`` programmes, as in every single-collaborative design."""

    enabled: bool = param(False, unit="-", source="design", doc="simulate a state's system of collaboratives instead of one collaborative")
    n_programs: int = param(8700, unit="programmes", lo=1, source="[massbudget2024; eec2024] (Massachusetts): ~5,200 FCC homes (>5,000 in 2023, >5,400 in 2024) + ~3,250 centres (3,000-3,500 by subtraction) + 250 Head Start sites (assumption)", doc="programmes in the state (all kinds)")
    frac_head_start: float = param(0.029, unit="share", **P01, source="assumption: 250 of 8,700; Boston alone has 26 HS + 7 EHS sites [abcd2015]; the statewide count was not found", doc="share of the state's programmes that are Head Start sites")
    frac_family_child_care: float = param(0.598, unit="share", **P01, source="[massbudget2024; eec2024]: ~5,200 of ~8,700 Massachusetts programmes are licensed family child care homes", doc="share of the state's programmes that are family child care homes (the rest are child care centres)")
    n_regions: int = param(6, unit="regions", lo=1, source="assumption: EEC works through 6 regional offices (recalled, not verified)", doc="regions; programmes are spread evenly over them and cohorts never cross a region")
    enrol_frac: float = param(0.25, unit="share", **P01, source="assumption: share of a region's programmes that enrol over the phase; Arizona's statewide QRIS enrolled >1,000 programmes [qualityfirstnd]", doc="share of each region's programmes that enrol in a cohort")
    selection: Selection = param("open", unit="-", source="assumption (design choice: selection by readiness vs open enrolment)", doc="order in which a region's applicants get places in cohorts and waves: 'open' (random) or 'readiness' (highest composite readiness first)")
    cohort_size: int = param(12, unit="programmes", lo=1, source="[ihind]: 10-100 teams per collaborative; CCL planned 8 [opre2016]; 7-15 typical (assumption)", doc="programmes per cohort (a region's last cohort may be smaller)")
    cohorts_per_wave: int = param(2, unit="cohorts/region/wave", lo=1, source="assumption", doc="cohorts each region plans to start in each wave")
    first_wave_week: int = param(0, unit="week", lo=0, source="assumption", doc="week the first wave starts")
    wave_interval_weeks: int = param(26, unit="weeks", lo=1, source="assumption: two waves a year", doc="weeks between planned wave starts")
    faculty_per_region: int = param(6, unit="people", lo=0, source="assumption", doc="trained faculty in each region at week 0")
    new_faculty_per_region: int = param(0, unit="people", lo=0, source="assumption", doc="faculty each region trains from week 0; they can lead cohorts after faculty_training_weeks")
    faculty_training_weeks: int = param(26, unit="weeks", lo=0, source="assumption", doc="weeks to train a new faculty member")
    faculty_training_cost: float = param(20000.0, unit="USD/person", **NONNEG, source="assumption", doc="cost of training one new faculty member (booked in week 0)")
    cohorts_per_faculty: int = param(2, unit="cohorts", lo=1, source="assumption; caseloads per facilitator moderate effects [baskerville2012] and HS coaches mostly work across 2-4 centres [howard2013]", doc="cohorts a faculty member leads at once; a cohort needs costs.n_faculty of them from its start to the end of its supports")
    horizon_weeks: int = param(260, unit="weeks", lo=1, source="design: a five-year horizon", doc="weeks simulated (every cohort's calendar is cut off here)")
    region_new_ties: float = param(0.3, unit="ties/attendee/session", **NONNEG, source="assumption: most cross-programme ties form within a cohort, some within a region", doc="new ties per session attendee to team members of other started cohorts of the same region")
    region_coordination_weekly: float = param(300.0, unit="USD/region/week", **NONNEG, source="assumption: a regional coordinator's time", doc="cost of coordinating a region in each week one of its cohorts has supports")
    faculty_travel_per_session: float = param(150.0, unit="USD/faculty/session", **NONNEG, source="assumption: faculty travel to the region", doc="travel of each faculty member to an in-person session, congress or community meeting of a cohort")
    # Issue 22: following every cohort, regions with names and rurality, and the people a state must staff.
    follow_every_cohort: bool = param(True, unit="-", source="design (issue 22): a state reads each cohort's follow-up as one collaborative's", doc="simulate past horizon_weeks until every cohort that started within it has run its whole calendar (collaborative, follow-up and lag reading); horizon_weeks still bounds when cohorts may start. Off: every calendar is cut off at horizon_weeks")
    region_names: str = param("Western/Central/Northeast/Metro West/Southeast/Boston", unit="-", source="assumption: the six regions of Massachusetts's EEC as recalled (names not verified); regions beyond the list are named 'region N'", doc="names of the regions in order, separated by '/'")
    rural_regions: str = param("", unit="-", source="assumption (the statewide design names Western and Southeast: Western Massachusetts and the Cape and Islands are the state's most rural areas; which regions count as rural is a judgement)", doc="names of the rural regions (from region_names), separated by '/'; empty: none")
    rural_travel_factor: float = param(2.0, unit="x", lo=1.0, source="assumption, range 1.5-3: longer drives to a session in a rural region than the statewide average", doc="multiplier of attendee and faculty travel costs of in-person gatherings in a rural region (virtual sessions have no travel, so they are relatively cheaper there)")
    coaches_per_region: int = param(0, unit="people", lo=0, source="assumption (design choice); 0 leaves coaching unlimited, as before issue 22", doc="coaches each region has at week 0 when the design coaches (coaching.enabled); with coaches (or new_coaches_per_region) set, a cohort starts only when the region's coaches have the hours its programmes' visits need (coach_hours_per_year / 52 a week each)")
    new_coaches_per_region: int = param(0, unit="people", lo=0, source="assumption (design choice)", doc="coaches each region hires from week 0; they can coach after coach_hiring_weeks")
    coach_hiring_weeks: int = param(13, unit="weeks", lo=0, source="assumption, range 8-26: recruiting and onboarding a coach", doc="weeks before a newly hired coach can take programmes")
    coach_hours_per_year: float = param(1500.0, unit="hours/coach/year", lo=1.0, source="assumption, range 1,200-1,800: a full-time coach's billable visit and travel hours", doc="hours a full-time coach gives in a year; coaching hours divided by it give the coaches a year needs (budget_by_year.csv)")


@dataclass(frozen=True)
class CostParams(Checked):
    """Unit costs in US dollars (all assumptions unless noted)."""

    wage_director: float = param(27.0, unit="USD/hour", **NONNEG, source="[bls2024]: OEWS May 2023, national, SOC 11-9031 Education and Childcare Administrators, Preschool and Daycare: the order of its national median hourly wage (exact figure to be checked against the table)", doc="director hourly wage")
    wage_education_manager: float = param(24.0, unit="USD/hour", **NONNEG, source="assumption", doc="education manager hourly wage")
    wage_lead_teacher: float = param(18.0, unit="USD/hour", **NONNEG, source="[bls2024]: OEWS May 2023, national, SOC 25-2011 Preschool Teachers, Except Special Education: the order of its national median hourly wage (exact figure to be checked against the table)", doc="lead teacher hourly wage")
    wage_assistant_teacher: float = param(15.0, unit="USD/hour", **NONNEG, source="[bls2024]: OEWS May 2023, national, SOC 39-9011 Childcare Workers: the order of its national median hourly wage (exact figure to be checked against the table)", doc="assistant teacher hourly wage")
    wage_family_services: float = param(20.0, unit="USD/hour", **NONNEG, source="assumption", doc="family-services staff hourly wage")
    family_stipend: float = param(50.0, unit="USD/event", **NONNEG, source="assumption", doc="stipend per session a family member attends")
    substitute_hourly: float = param(20.0, unit="USD/hour", **NONNEG, source="assumption", doc="substitute cover per hour a teacher is away from class")
    travel_per_attendee: float = param(40.0, unit="USD/attendee", **NONNEG, source="assumption", doc="travel per in-person attendance")
    venue_per_session: float = param(2000.0, unit="USD/session", **NONNEG, source="assumption", doc="venue and materials per in-person session")
    n_faculty: int = param(6, unit="people", lo=0, source="[ihi2003]: a faculty of 5-8 experts", doc="faculty per session")
    faculty_day_rate: float = param(1000.0, unit="USD/day", **NONNEG, source="assumption", doc="faculty cost per person-day (prep and delivery)")
    faculty_day_hours: float = param(8.0, unit="hours/day", lo=0.0, lo_open=True, source="assumption", doc="hours in a faculty day (prices faculty hours)")
    call_hours: float = param(1.0, unit="hours", **NONNEG, source="assumption", doc="team member time per call")
    coaching_teacher_hours: float = param(1.0, unit="hours/visit", **NONNEG, source="assumption", doc="focus teacher's time per coaching visit")
    faculty_hours_per_call: float = param(4.0, unit="hours", **NONNEG, source="assumption", doc="faculty hours per cohort call")
    community_meeting_cost: float = param(5000.0, unit="USD", **NONNEG, source="assumption", doc="cost of the community meeting")
    data_support_weekly: float = param(40.0, unit="USD/programme/week", **NONNEG, source="assumption", doc="cost of full data-use support per programme-week while supports run (x its strength)")
    pdsa_hours_per_member: float = param(1.5, unit="hours/cycle", **NONNEG, source="assumption", doc="team member time per PDSA cycle")
    data_hours_per_cycle: float = param(3.0, unit="hours/cycle", **NONNEG, source="assumption: the burden of collecting data [douglass2019; thies2020]", doc="staff time to collect and chart a cycle's data when it is measured (less with data-use support)")
    coach_hourly: float = param(45.0, unit="USD/hour", **NONNEG, source="assumption", doc="coach/consultant hourly cost")
    trainer_fee: float = param(2500.0, unit="USD/workshop/programme", **NONNEG, source="assumption", doc="trainer fee per programme workshop")


@dataclass(frozen=True)
class Params(Checked):
    """All parameters of one bsc_sim run (one step = one week)."""

    seed: int = param(0, unit="-", lo=0, source="-", doc="default random seed of a run (run_sim's seed argument wins)")
    design: str = param("bsc", unit="-", source="design", doc="name of the design (set by configs/design/*.yaml)")
    followup_weeks: int = param(52, unit="weeks", lo=0, source="design: sustainment is seen in a follow-up year", doc="weeks simulated after the collaborative ends")
    lag_weeks: int = param(52, unit="weeks", lo=0, source="design: read every outcome a fixed time after the design's own supports end; 12 months, as the retention studies of coaching read it [wolf2019; kraft2014]", doc="the *lag* readings are taken this many weeks after the last week of each programme's own supports (designs without supports: after the collaborative's end week); a single collaborative is simulated past its follow-up until every lag is observed")
    cohort: CohortParams = param(unit="-", source="-", doc="cohort", factory=CohortParams)
    program: ProgramParams = param(unit="-", source="-", doc="programmes", factory=ProgramParams)
    readiness: ReadinessParams = param(unit="-", source="-", doc="readiness", factory=ReadinessParams)
    turnover: TurnoverParams = param(unit="-", source="-", doc="turnover", factory=TurnoverParams)
    staff: StaffParams = param(unit="-", source="-", doc="staff", factory=StaffParams)
    practices: Mapping[str, PracticeParams] = param(unit="-", source="-", doc="change package", factory=default_change_package)
    network: NetworkParams = param(unit="-", source="-", doc="networks", factory=NetworkParams)
    spread: SpreadParams = param(unit="-", source="-", doc="spread", factory=SpreadParams)
    pdsa: PDSAParams = param(unit="-", source="-", doc="PDSA", factory=PDSAParams)
    learning: LearningParams = param(unit="-", source="-", doc="learning", factory=LearningParams)
    collaborative: CollaborativeParams = param(unit="-", source="-", doc="collaborative", factory=CollaborativeParams)
    team: TeamParams = param(unit="-", source="-", doc="team", factory=TeamParams)
    coaching: CoachingParams = param(unit="-", source="-", doc="coaching", factory=CoachingParams)
    training: TrainingParams = param(unit="-", source="-", doc="training", factory=TrainingParams)
    families: FamilyParams = param(unit="-", source="-", doc="families", factory=FamilyParams)
    disruption: DisruptionParams = param(unit="-", source="-", doc="organisational disruption", factory=DisruptionParams)
    sustain: SustainParams = param(unit="-", source="-", doc="sustainment", factory=SustainParams)
    culture: CultureParams = param(unit="-", source="-", doc="culture", factory=CultureParams)
    progress: ProgressParams = param(unit="-", source="-", doc="progress score", factory=ProgressParams)
    costs: CostParams = param(unit="-", source="-", doc="costs", factory=CostParams)
    system: SystemParams = param(unit="-", source="-", doc="statewide system", factory=SystemParams)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_consistency(self)

    @property
    def collaborative_weeks(self) -> int:
        """Weeks of one collaborative's calendar: the collaborative plus follow-up."""
        return self.collaborative.duration_weeks + self.followup_weeks

    @property
    def last_support_week(self) -> int | None:
        """Last week of one cohort's collaborative, coaching or workshop support (None: the design has none)."""
        c, k, t = self.collaborative, self.coaching, self.training
        weeks = []
        if c.enabled:
            weeks.append(c.duration_weeks - 1 + c.followup_support_weeks)
        if k.enabled and k.weeks > 0:
            weeks.append((k.weeks - 1) // k.visit_interval_weeks * k.visit_interval_weeks)
        if t.enabled:
            weeks.append(t.week)
        return max(weeks) if weeks else None

    @property
    def lag_reference_week(self) -> int:
        """The week the lag is counted from in one cohort's calendar: its last support week, or the
        collaborative's end week for a design without supports."""
        last = self.last_support_week
        return self.collaborative.duration_weeks - 1 if last is None else last

    @property
    def calendar_weeks(self) -> int:
        """Weeks of one cohort's calendar: the collaborative and follow-up, extended until the lag
        reading (``lag_reference_week + lag_weeks``) is observed."""
        return max(self.collaborative_weeks, self.lag_reference_week + self.lag_weeks + 1)

    @property
    def horizon_weeks(self) -> int:
        """Weeks simulated: one cohort's calendar, or the statewide system's horizon."""
        return self.system.horizon_weeks if self.system.enabled else self.calendar_weeks

    @property
    def practice_names(self) -> tuple[str, ...]:
        return tuple(self.practices)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Params:
        """Strictly build Params from a nested mapping (unknown keys and bad values raise ParamError)."""
        return from_mapping(cls, data)

    def replace(self, **changes: Any) -> Params:
        """A copy with top-level fields replaced (``params.replace(cohort=...)``)."""
        return replace(self, **changes)


def check_consistency(p: Params) -> None:
    """Cross-field checks that single-field ranges cannot express."""
    c = p.collaborative
    if not p.practices:
        raise ParamError("practices: the change package needs at least one practice")
    if p.pdsa.abandon_threshold > p.pdsa.adopt_threshold:
        raise ParamError(f"pdsa.abandon_threshold = {p.pdsa.abandon_threshold}: must be <= pdsa.adopt_threshold ({p.pdsa.adopt_threshold})")
    if c.enabled and c.n_sessions > 0:
        last = c.prework_weeks + (c.n_sessions - 1) * c.session_spacing_weeks
        end = c.duration_weeks - 1 if c.congress else c.duration_weeks  # the congress has its own week
        if last >= end:
            raise ParamError(
                f"collaborative.n_sessions = {c.n_sessions}: the last session falls in week {last}, "
                f"{'the congress week or later' if c.congress else 'after the collaborative ends'} "
                f"(duration_weeks = {c.duration_weeks})"
            )
    if p.training.enabled and p.training.week >= p.collaborative_weeks:
        raise ParamError(f"training.week = {p.training.week}: after the last simulated week ({p.collaborative_weeks - 1})")
    s = p.system
    if s.enabled:
        if s.frac_head_start + s.frac_family_child_care > 1:
            raise ParamError(f"system.frac_family_child_care = {s.frac_family_child_care}: with system.frac_head_start "
                             f"= {s.frac_head_start} the shares add to more than 1")
        have = s.faculty_per_region + s.new_faculty_per_region
        if p.costs.n_faculty > have:
            raise ParamError(f"costs.n_faculty = {p.costs.n_faculty}: more faculty per cohort than a region has "
                             f"(system.faculty_per_region + system.new_faculty_per_region = {have})")
        names = [n.strip() for n in s.region_names.split("/") if n.strip()]
        unknown = [r for r in s.rural_regions.split("/") if r.strip() and r.strip() not in names]
        if unknown:
            raise ParamError(f"system.rural_regions = {s.rural_regions!r}: {unknown[0]!r} is not a region "
                             f"(system.region_names gives {', '.join(names)})")
        k = p.coaching
        if k.enabled and (s.coaches_per_region or s.new_coaches_per_region):
            need = s.cohort_size * k.hours_per_visit / k.visit_interval_weeks
            can = (s.coaches_per_region + s.new_coaches_per_region) * s.coach_hours_per_year / 52
            if can < need:
                raise ParamError(f"system.coaches_per_region = {s.coaches_per_region}: with system.new_coaches_per_region "
                                 f"= {s.new_coaches_per_region} a region's coaches give {can:.1f} hours a week, fewer than "
                                 f"one cohort's visits need ({need:.1f})")
        if s.first_wave_week >= s.horizon_weeks:
            raise ParamError(f"system.first_wave_week = {s.first_wave_week}: after the last simulated week "
                             f"({s.horizon_weeks - 1})")


def region_names(s: SystemParams) -> list[str]:
    """The names of the ``s.n_regions`` regions: those of ``s.region_names``, then 'region N'."""
    given = [n.strip() for n in s.region_names.split("/") if n.strip()]
    return [given[r] if r < len(given) else f"region {r + 1}" for r in range(s.n_regions)]


def group_names() -> list[str]:
    """Names of the parameter groups (top-level dataclass fields that are groups)."""
    return [f.name for f in fields(Params) if f.name not in ("seed", "design", "followup_weeks", "lag_weeks")]
