# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How a state scales up
#
# *For state agencies, funders and collaborative faculty. About 10 minutes to read; the notebook
# runs in under a minute.*
#
# One Breakthrough Series Collaborative works with a handful of programmes for a year. A state
# that wants social-emotional practices in thousands of classrooms has to run **many** cohorts:
# region by region, in **waves**, as far as its trained **faculty** allow, and with only some of its
# programmes choosing to **enrol**. And after each cohort's year of support, what it reached starts
# to **fade**.
#
# This notebook runs **bsc_sim**'s statewide design (`design=statewide`: the baseline collaborative
# run by many cohorts across a state's regions, over five years) on a small state, so that it runs
# in seconds, and reads the four things a planner controls or must live with: waves, enrolment,
# capacity and fade.
#
# > **Read the numbers as illustrations.** The state's shape (its share of family child care homes
# > and Head Start sites) follows published counts for Massachusetts, but enrolment, waves and
# > faculty capacity are assumptions (`docs/ODD.md`, section 7.17), and so are most of the model's
# > effect sizes.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown

from bsc_sim import load_params, run_sim

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 3)
STATE = ["system.n_programs=480",    # a small state (the default is 8,700 programmes), same shares
         "system.enrol_frac=0.5",     # half of each region's programmes enrol over the five years
         "system.cohorts_per_wave=1"]  # one new cohort per region in each wave
SEED = 0
params = load_params(["design=statewide", *STATE])
state = run_sim(params, seed=SEED)
bau = run_sim(load_params(["design=statewide_business_as_usual", *STATE]), seed=SEED)  # the same state, no BSC
system = params.system
print(f"{system.n_programs} programmes in {system.n_regions} regions; cohorts of {system.cohort_size}; "
      f"a wave every {system.wave_interval_weeks} weeks; {system.horizon_weeks} weeks in all")

# %% [markdown]
# ## 1. Waves and enrolment
#
# Each region forms its cohorts from the programmes that enrol, a cohort of twelve at a time. With
# one cohort per region per wave and a wave every 26 weeks, a region's enrolled programmes start in
# turn: the first twelve in wave 0, the next twelve half a year later, and so on, until every
# programme that enrols has had its year. The rest of the state's programmes never enrol; they are
# simulated too (without support), so the state's coverage counts them.
#
# `state.regions` holds, for every region × wave × quarter, the programmes, the classrooms and the
# classrooms reached (wave −1: the programmes that never enrol).

# %%
regions = state.regions
last = regions[regions["quarter"] == regions["quarter"].max()]
by_wave = last.groupby("wave")[["n_programs", "n_classrooms"]].sum()
by_wave.index = ["never enrol" if w < 0 else f"wave {w}" for w in by_wave.index]
enrolled_share = state.summary["frac_programs_enrolled"]
n_waves = int(regions["wave"].max()) + 1
assert abs(enrolled_share - system.enrol_frac) < 0.02, "about half the state's programmes enrol"
assert n_waves >= 3 and by_wave.loc["wave 0", "n_programs"] == system.n_regions * system.cohort_size, \
    "several waves; wave 0 is one full cohort in every region"
by_wave

# %%
enrolled = regions[regions["wave"] >= 0].groupby(["week", "wave"])["n_programs_enrolled"].sum().unstack("wave")
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.stackplot(enrolled.index, enrolled.T.to_numpy(), labels=[f"wave {w}" for w in enrolled.columns], alpha=0.8)
ax.set(title=f"Programmes enrolled, by wave (a state of {system.n_programs} programmes)", xlabel="week",
       ylabel="programmes enrolled so far")
ax.legend(loc="upper left", fontsize="small")
plt.show()

# %%
Markdown(f"By the end, **{enrolled_share:.0%}** of the state's programmes have enrolled, in **{n_waves} waves**: "
         f"the last one has enrolled by week {int(enrolled[n_waves - 1].gt(0).idxmax())} (quarterly readings). Enrolment is the ceiling on everything that follows: a programme that never "
         f"enrols gets no support at all.")

# %% [markdown]
# ## 2. Reach, and how it fades
#
# Now what the waves achieve: the share of each wave's classrooms **reached** (a teacher using a
# classroom practice at fidelity), quarter by quarter. Each wave's collaborative lasts about a year
# from its start; the dashed lines mark the start of each wave.

# %%
reach = regions.groupby(["week", "wave"])[["n_classrooms_reached", "n_classrooms"]].sum()
reach = (reach["n_classrooms_reached"] / reach["n_classrooms"]).unstack("wave")
fig, ax = plt.subplots(figsize=(9, 4))
for w in reach.columns:
    ax.plot(reach.index, reach[w], label="never enrol" if w < 0 else f"wave {w}", lw=2 if w >= 0 else 1,
            color="0.5" if w < 0 else None, ls=":" if w < 0 else "-")
for w in range(n_waves):
    ax.axvline(system.first_wave_week + w * system.wave_interval_weeks, color="0.7", ls="--", lw=1)
ax.set(title="Share of each wave's classrooms reached", xlabel="week", ylabel="share of classrooms", ylim=(0, None))
ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
plt.show()

# %%
waves = [w for w in reach.columns if w >= 0]
peak, final = reach[waves].max(), reach[waves].iloc[-1]
starts = pd.Series({w: enrolled[w].gt(0).idxmax() for w in waves})  # first quarterly reading with the wave enrolled
fade = pd.DataFrame({"peak share reached": peak, "week of the peak": reach[waves].idxmax(),
                     "weeks from start to peak": reach[waves].idxmax() - starts,
                     "share reached in the last quarter": final, "kept": final / peak})
full_waves = [w for w in waves if fade.loc[w, "week of the peak"] + 52 <= reach.index.max()]
assert (fade.loc[full_waves, "kept"] < 1).all(), "reach fades after each wave's peak"
assert (fade["peak share reached"] > 3 * reach[-1].max()).all(), "every wave peaks far above the programmes that never enrol"
fade

# %%
Markdown(f"Each wave's reach climbs through its year of support, peaks "
         f"{fade['weeks from start to peak'].min():.0f}–{fade['weeks from start to peak'].max():.0f} weeks after the "
         f"wave's first reading (practices reach fidelity late in the year and the teams keep some momentum), and then "
         f"fades: the waves that had a year or more after their peak keep between "
         f"**{fade.loc[full_waves, 'kept'].min():.0%}** and **{fade.loc[full_waves, 'kept'].max():.0%}** of it by the "
         f"end of the five years. The programmes that never enrol go from {reach[-1].iloc[0]:.0%} to "
         f"{reach[-1].iloc[-1]:.0%} on their own (practices spread a little without support, and the model lets "
         f"ties within a region carry them), far below any wave.")

# %% [markdown]
# What does that add up to for the state? The state's coverage is counted over **all** its
# classrooms, enrolled or not, and set against the same state without any collaborative
# (`statewide_business_as_usual`: the same programmes, the same seed).

# %%
coverage = pd.DataFrame({d: {"classrooms reached, end of five years": r.summary["frac_classrooms_reached_end"],
                             "total cost (USD)": r.summary["cost_total"]}
                         for d, r in (("statewide BSC", state), ("business as usual", bau))}).T
gain = coverage.iloc[0, 0] - coverage.iloc[1, 0]
assert gain > 0 and coverage.iloc[0, 0] < enrolled_share, "more than doing nothing, but less than the share enrolled"
Markdown(f"Over five years the statewide collaborative leaves **{coverage.iloc[0, 0]:.0%}** of the state's classrooms "
         f"reached, against **{coverage.iloc[1, 0]:.0%}** without it: **{100 * gain:.0f} percentage points** more, for "
         f"${coverage.iloc[0, 1]:,.0f}. Enrolment caps it ({enrolled_share:.0%} of programmes) and fade erodes it.")

# %% [markdown]
# ## 3. Capacity: when faculty run out
#
# Each cohort needs its faculty (two here) for its year, and a faculty member leads at most two
# cohorts at a time. A region with six faculty can run six cohorts at once; one with two can run
# two. If a region plans **two** cohorts per wave instead of one, its cohorts overlap (a year of
# support, a new wave every half year), and with few faculty the later cohorts must **wait**.
# Below, the same state with two cohorts per wave, with six faculty per region and with two. Read
# the delay, and ask which count of success a delay changes.

# %%
capacity = {}
for faculty in (6, 2):
    run = run_sim(load_params(["design=statewide", *STATE, "system.cohorts_per_wave=2",
                               f"system.faculty_per_region={faculty}"]), seed=SEED)
    capacity[f"{faculty} faculty per region"] = {k: run.summary[k] for k in (
        "n_cohorts", "n_cohorts_delayed", "mean_cohort_delay_weeks", "frac_classrooms_reached_end",
        "child_weeks_reached")}
capacity = pd.DataFrame(capacity).T
assert capacity.loc["6 faculty per region", "n_cohorts_delayed"] == 0, "six faculty: no cohort waits"
assert capacity.loc["2 faculty per region", "n_cohorts_delayed"] > 0, "two faculty: some cohorts wait"
capacity

# %%
Markdown(f"With two faculty per region, **{capacity.loc['2 faculty per region', 'n_cohorts_delayed']:.0f}** of "
         f"{capacity.loc['2 faculty per region', 'n_cohorts']:.0f} cohorts start late, by "
         f"{capacity.loc['2 faculty per region', 'mean_cohort_delay_weeks']:.0f} weeks on average; with six, none "
         f"does. At the five-year mark the share reached is {capacity.iloc[1]['frac_classrooms_reached_end']:.1%} "
         f"with two faculty against {capacity.iloc[0]['frac_classrooms_reached_end']:.1%} with six: "
         + ("a late cohort has had less time to build its reach but also less time to let it fade, so a single "
            "end-of-horizon snapshot can flatter a late start. " if capacity.iloc[1]['frac_classrooms_reached_end']
            >= capacity.iloc[0]['frac_classrooms_reached_end'] else "late cohorts have had less time to build. ")
         + f"Counting what children actually got over the five years (child-weeks in a reached classroom) gives "
         f"{capacity.iloc[1]['child_weeks_reached']:,.0f} with two faculty against "
         f"{capacity.iloc[0]['child_weeks_reached']:,.0f} with six.")

# %% [markdown]
# ## Exercises
#
# Each exercise has a solution in the hidden cell below it (click the "…" to show it in
# JupyterLab). Try it first; the solution also checks its own answer.
#
# **Exercise 1.** Family child care homes have one room each, so they weigh little in a count of
# classrooms. From `state.programs` (column `kind`) and `by_wave`, what share of the state's
# programmes are family child care homes, and what share of its classrooms are in them?

# %% tags=["solution"] jupyter={"source_hidden": true}
programs = state.programs
fcc = programs["kind"].str.contains("family")
ex1 = pd.Series({"share of programmes": fcc.mean(),
                 "share of classrooms": programs.loc[fcc, "n_classrooms"].sum() / programs["n_classrooms"].sum()})
print(ex1.round(2))
assert ex1["share of classrooms"] < ex1["share of programmes"]

# %% [markdown]
# **Exercise 2.** Enrolment is the ceiling. Rerun the state with a quarter of its programmes
# enrolling (`"system.enrol_frac=0.25"` after `*STATE`, so that it wins) and compare the state's
# coverage at the end with the run above.

# %% tags=["solution"] jupyter={"source_hidden": true}
quarter = run_sim(load_params(["design=statewide", *STATE, "system.enrol_frac=0.25"]), seed=SEED)
ex2 = pd.Series({"half enrol": state.summary["frac_classrooms_reached_end"],
                 "a quarter enrol": quarter.summary["frac_classrooms_reached_end"]})
print(ex2.round(3))
assert ex2["a quarter enrol"] < ex2["half enrol"]

# %% [markdown]
# ## Take-aways
#
# - A state scales a collaborative by running **many cohorts in waves**; how many of its
#   programmes **enrol** caps how far it can reach.
# - Each wave's reach **peaks** around the end of its support and then **fades**; a five-year
#   statewide figure mixes waves at every stage, so read it wave by wave.
# - **Faculty capacity** decides whether the planned waves can start on time: plan the faculty
#   (or train new faculty, `system.new_faculty_per_region`) with the waves, and judge a delay by
#   what children got over the years, not by one snapshot at the end.
# - `bsc-sim run design=statewide` prints the same system numbers for the whole state, and
#   `bsc-sim compare` sets statewide designs against `statewide_business_as_usual`.
