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
# # What drives success
#
# *For directors, coaches, trainers and funders. About 15 minutes to read; the notebook runs in
# under a minute.*
#
# Two collaboratives with the same design can end very differently. One cohort's programmes are
# committed, well led and used to looking at data; another's lose a third of their staff in a year.
# Which of these conditions matter most for whether practices reach classrooms and last?
#
# In **bsc_sim**, each such condition is a **parameter**: a number we set before the run, such as
# the average yearly staff turnover of the cohort's programmes. Most of the model's parameters are
# not known precisely (many are assumptions), so we would like to know which ones the results
# depend on most. Trying every combination is impossible, so we **screen**: a cheap experiment that
# ranks the parameters by how much they move the results, using the **Morris method**.
#
# This notebook screens seven conditions of the cohort, for the default collaborative (`bsc`), and
# shows how to read the result and what it can and cannot tell us.
#
# > **The model is not calibrated** (`docs/ODD.md`, section 9). A screening tells us what matters
# > *in the model*, given its assumptions and the ranges we chose; it says something about real
# > programmes only as far as the model's mechanisms are right.

# %%
from pathlib import Path
from tempfile import TemporaryDirectory

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display
from IPython.utils.capture import capture_output

from bsc_sim.experiments import ExecutorSpec
from bsc_sim.experiments.analysis import run_sensitivity
from bsc_sim.experiments.design import load_experiment
from bsc_sim.experiments.figures import plot_indices
from bsc_sim.experiments.sensitivity import SensitivityProblem, n_runs
from bsc_sim.plotting import percent_axis

# (after the imports: the experiment module sets matplotlib to write files, this shows figures here)
# %matplotlib inline
sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 3)
N_TRAJ = 8                         # Morris trajectories (section 2); the results' size sets the run time
EXECUTOR = ExecutorSpec("serial")  # one run after another; ExecutorSpec("processes") uses all cores

# %% [markdown]
# ## 1. Which conditions, over which ranges?
#
# We start from the project's screening experiment, `configs/experiment/readiness_screen.yaml`,
# and keep seven of its parameters: four dimensions of **organisational readiness** (after
# Weiner 2009: commitment, leadership support, data capacity, time), staff **turnover**, how many
# colleagues a staff member needs to see using a practice before joining in (the adoption
# **threshold**), and the share of **Head Start** programmes in the cohort. (Fewer parameters and
# trajectories than a real screening would use, so that the notebook runs in under a minute; the
# way to read the result does not depend on its size.) Each is the *average over the cohort's
# programmes*; the programmes still differ around it. The ranges come from that file: the turnover
# range brackets published figures (13–40% a year), the others span plausible values around each
# default and are assumptions.

# %%
labels = {
    "readiness.change_commitment_mean": "commitment to the change",
    "readiness.leadership_support_mean": "leadership support",
    "readiness.data_capacity_mean": "capacity to use data",
    "readiness.time_slack_mean": "time to spare",
    "turnover.annual_rate_mean": "staff turnover per year",
    "staff.threshold_mean": "adoption threshold",
    "cohort.frac_head_start": "share of Head Start programmes",
}
screen = load_experiment("readiness_screen")
cfg = screen.with_settings(
    parameters=tuple(p for p in screen.parameters if p.key in labels),
    outcomes=("frac_classrooms_reached_end", "frac_classrooms_sustained_followup"),
    n=N_TRAJ,           # Morris trajectories
    replications=2,     # cohorts (seeds) per parameter setting, averaged
)
assert len(cfg.parameters) == len(labels) == 7 and len(screen.parameters) > 7  # "seven of its parameters"
pd.DataFrame([{"parameter": p.key, "meaning": labels[p.key], "low": p.low, "high": p.high}
              for p in cfg.parameters])

# %% [markdown]
# ## 2. How a Morris screening works
#
# Picture each parameter's range as a ruler with four marks (low, two in between, high). A
# **trajectory** starts at a random point, one mark chosen on every ruler, runs the model, then
# moves **one parameter at a time** by two thirds of its range, running the model after each move,
# until every parameter has moved once. The change in the result at each move, scaled to the whole
# range, is that parameter's **elementary effect** at that point.
#
# Because each trajectory starts somewhere else, each parameter gets several elementary effects,
# measured in different surroundings (high turnover with low commitment, low turnover with high
# commitment, ...). Morris then summarises them for each parameter:
#
# - **mu\*** (mu-star), the average *size* of the effect, ignoring its sign: how much the result
#   moves, on average, when this parameter goes from the low end of its range to the high end. This
#   is the number to rank by.
# - **mu**, the average *signed* effect: negative if raising the parameter mostly lowers the result.
# - **sigma**, how much the effects *differ* from one point to another. A large sigma means the
#   parameter's effect depends on where the others are (an **interaction**: turnover may matter more
#   in programmes with weak leadership) or on where in its own range it is (**non-linearity**).
#
# Here each trajectory has one setting more than there are parameters, and every setting runs on
# the same 2 cohorts (seeds); the cell prints the count.

# %%
problem = SensitivityProblem.from_experiment(cfg)
print(f"{n_runs(problem, cfg.method, cfg.n)} settings x {cfg.replications} cohorts = "
      f"{n_runs(problem, cfg.method, cfg.n) * cfg.replications} runs")
with TemporaryDirectory() as tmp, capture_output():  # capture_output: hide the text summary it prints
    run, written = run_sensitivity(cfg, Path(tmp), executor=EXECUTOR, progress=False)
    indices = pd.read_csv(Path(tmp) / "indices.csv")
print(f"done in {run.seconds:.0f} s")

# %% [markdown]
# ## 3. The results, and how to read them
#
# The two outcomes are the share of classrooms **reached** at the end of the collaborative year,
# and the share **sustained** (reached at the end and still reached a year later). For each, the
# table ranks the seven conditions by mu\*, and the chart shows the same numbers.

# %%
outcome_labels = {"frac_classrooms_reached_end": "classrooms reached, end",
                  "frac_classrooms_sustained_followup": "classrooms sustained"}
indices["parameter"] = indices["parameter"].map(labels)
for outcome, table in indices.groupby("outcome", sort=False):
    print(outcome_labels[outcome])
    display(table.sort_values("mu_star", ascending=False)
            .set_index("parameter")[["mu_star", "mu_star_conf", "mu", "sigma"]])

# %%
fig = plot_indices(indices, "morris", replications=cfg.replications, n=cfg.n)
plt.show()

# %% [markdown]
# **The bars (mu\*)** rank the conditions. A mu\* of 0.15 for reach means: moving this condition
# from the low to the high end of its range changes the share of classrooms reached by about
# 15 percentage points on average (up or down). Parameters with a small mu\* can, *for this
# outcome and these ranges*, be fixed anywhere in their range without much changing the result;
# finding them is what screening is for.
#
# **The error bars** are 95% intervals on mu\* (`mu_star_conf` is their half-width), found by
# resampling the trajectories. With only a few trajectories they are wide: conditions whose intervals
# overlap should not be ranked against each other. The robust message is coarse: which conditions
# sit at the top, and which near zero.
#
# **The colour of a bar** gives the direction: blue if raising the condition mostly raises the
# outcome, red if it mostly lowers it, grey if it goes either way (its average signed effect, mu,
# is less than half of mu\*). More on the sign below.
#
# **The hatched bars (sigma)** show how much the elementary effects differ from one setting to
# another: a sign of **interactions** (turnover may matter more where leadership is weak) or
# **non-linearity** (an effect that is strong at one end of the range and weak at the other).
# How large is sigma here, compared with mu\*?

# %%
ratio = (indices["sigma"] / indices["mu_star"]).set_axis(indices["parameter"] + ", " + indices["outcome"].map(outcome_labels))
Markdown(f"sigma/mu\\* runs from **{ratio.min():.2f}** (*{ratio.idxmin()}*) to **{ratio.max():.2f}** "
         f"(*{ratio.idxmax()}*); for {(ratio > 0.8).sum()} of the {len(ratio)} condition-outcome pairs sigma is "
         f"at least 0.8 times mu\\*. Where sigma is small next to mu\\*, the effect is about the same everywhere; "
         f"where it is comparable, part of that is interaction, but part is chance, as the next section shows, so "
         f"this screening cannot say which conditions interact. A Sobol' analysis can (section 5).")

# %% [markdown]
#
# **The sign (mu)**, in the table and in the bars' colours, is the average *signed* effect:
# positive if raising the condition mostly raises the result. When mu is about as large as mu\*,
# the effect points the same way almost everywhere.

# %% [markdown]
# ## 4. Real effect or chance?
#
# The model is random: the same settings on two different cohorts give different results. An
# elementary effect compares two runs, so part of it is chance. Running every setting on the same
# cohorts (common random numbers, as in notebook 03) removes much of the chance, but not all:
# once a parameter changes, say, who leaves in week 10, the two runs' stories drift apart. So even
# a condition with no effect at all would get a mu\* above zero.
#
# How large? The two cohorts run at every setting tell us how much a result moves by chance alone.
# If a step scrambled the stories completely, a condition with no effect would get a mu\* of about:

# %%
DELTA = cfg.num_levels / (2 * (cfg.num_levels - 1))  # a Morris step, as a share of each range (2/3)
by_cohort = run.results.pivot(index="row", columns="replicate", values=list(cfg.outcomes))
chance = pd.Series({outcome_labels[outcome]: (by_cohort[outcome][0] - by_cohort[outcome][1]).abs().mean()
                    / np.sqrt(cfg.replications) / DELTA for outcome in cfg.outcomes}, name="chance level of mu*")
assert (indices["mu_star"] < indices["outcome"].map(outcome_labels).map(chance)).mean() > 0.5
chance.to_frame()

# %% [markdown]
# That is as large as most of the bars above (the assert below checks "most"). It is an upper bound (common random numbers keep
# part of the story), but it means mu\* alone cannot separate a modest effect from chance here.
#
# The **sign** helps. Chance pushes an elementary effect up as often as down, so it averages out in
# mu; a real effect does not. The plot shows each condition's mu with a band of two standard
# errors (sigma divided by the square root of the number of trajectories, times two). A band clear
# of zero means the condition pushes the result in one direction more consistently than chance
# would.

# %%
indices["two_se"] = 2 * indices["sigma"] / np.sqrt(cfg.n)
order = indices[indices["outcome"] == cfg.outcomes[0]].sort_values("mu_star")["parameter"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for ax, (outcome, table) in zip(axes, indices.groupby("outcome", sort=False)):
    table = table.set_index("parameter").loc[order]
    ax.errorbar(table["mu"], np.arange(len(table)), xerr=table["two_se"], fmt="o", capsize=3)
    ax.axvline(0, color="0.5", ls="--", lw=1)
    ax.set_yticks(np.arange(len(table)), table.index)
    percent_axis(ax, "x", points=True)
    ax.set(title=outcome_labels[outcome], xlabel="mu: average signed effect (percentage points)")
fig.suptitle("Which way does each condition push the result? (right of zero: raising it helps)\n"
             f"dot: mean of {cfg.n} elementary effects, each from settings averaged over {cfg.replications} cohorts; "
             "bar: ± 2 standard errors", fontsize="medium")
fig.tight_layout()
plt.show()

# %% [markdown]
# Putting the two tests together: a condition is a **clear** driver here if its mu is clear of
# zero, or if its whole mu\* interval lies above the chance level (which would also catch an effect
# that goes both ways).

# %%
indices["chance_level"] = indices["outcome"].map(outcome_labels).map(chance)
clear = (indices["mu"].abs() > indices["two_se"]) | (indices["mu_star"] - indices["mu_star_conf"] > indices["chance_level"])
indices["reading"] = np.select(
    [clear & (indices["mu"] > indices["two_se"]), clear & (indices["mu"] < -indices["two_se"]), clear],
    ["clear: raising it helps", "clear: raising it hurts", "clear: both ways"], "cannot tell from chance")
readings = indices.assign(outcome=indices["outcome"].map(outcome_labels)) \
    .pivot(index="parameter", columns="outcome", values="reading").loc[order[::-1]]
# the take-aways below, checked: turnover hurts and leadership support helps, for both outcomes
assert (readings.loc["staff turnover per year"] == "clear: raising it hurts").all()
assert (readings.loc["leadership support"] == "clear: raising it helps").all()
readings

# %% [markdown]
# **The adoption threshold matters little here**, for reach at least:

# %%
reach = indices[indices["outcome"] == cfg.outcomes[0]].set_index("parameter")
rank = int(reach["mu_star"].rank(ascending=False)["adoption threshold"])
assert rank > len(reach) / 2, "the threshold's mu* is among the smaller ones"
Markdown(f"for reach, the adoption threshold has mu\\* = {reach.loc['adoption threshold', 'mu_star']:.3f}, "
         f"rank {rank} of {len(reach)} (leadership support: {reach.loc['leadership support', 'mu_star']:.3f}), "
         f"and its reading is *{readings.loc['adoption threshold', outcome_labels[cfg.outcomes[0]]]}*.")

# %% [markdown]
# That may surprise readers of notebook 01, where the
# threshold decides how far a practice spreads. In the full model a classroom counts as *reached*
# only when a teacher uses a practice **at fidelity**, and fidelity grows with feedback and the
# programme's learning culture, not with the number of colleagues using the practice; so the
# threshold changes how many staff *try* a practice more than how many classrooms are reached.
#
# Two more cautions. Verdicts near the edge (a band just touching zero) are fragile: with this
# many readings, one or two could be flukes, and rerunning the screening with more trajectories
# can move a condition from "cannot tell" to "clear" or back (exercise 2). And "cannot tell from chance" does not
# mean "no effect": the condition may matter less than turnover and leadership in the model, or
# this screening may be too small to see it.
#
# More trajectories (`n`), more cohorts per setting (`replications`) or larger cohorts would
# sharpen the picture, at the cost of more runs. From the command line, the full screening of all
# parameters in the file is `uv run bsc-sim sensitivity experiment=readiness_screen`.

# %%
sobol = load_experiment("twelve_sobol")  # the follow-up named in section 5 (not run here)
sobol_runs = n_runs(SensitivityProblem.from_experiment(sobol), sobol.method, sobol.n) * sobol.replications
assert sobol_runs == 6656, "section 5 says twelve_sobol.yaml uses 6,656 runs"
print(f"configs/experiment/twelve_sobol.yaml: {len(sobol.parameters)} parameters, {sobol_runs:,} runs")

# %% [markdown]
# ## 5. What a screening can and cannot tell us
#
# - It **ranks**; it does not **quantify**. mu\* says which conditions move the results most; it
#   does not say what share of the variation in results each one explains, nor how two of them
#   combine.
# - Its answers hold **for the ranges chosen**. Widen the turnover range and turnover matters
#   more; narrow it and it matters less. A condition that looks unimportant here may matter outside
#   its range.
# - It is a **first step**. The usual follow-up is a **Sobol' analysis** of the few parameters
#   that survive the screening: many more runs (`configs/experiment/twelve_sobol.yaml` uses 6,656)
#   split the variance of each result into each parameter's own share (first-order index) and its
#   share including interactions (total index).
# - It tells us about the **model**. Because the model is uncalibrated, a condition that matters
#   here is a condition whose assumptions deserve checking against data first, not yet a proven
#   lever for real programmes.

# %% [markdown]
# ## Exercises
#
# Each exercise has a solution in the hidden cell below it (click the "…" to show it in
# JupyterLab). Try it first; the solution also checks its own answer.
#
# **Exercise 1.** Do the two outcomes agree on what matters most? From `indices`, list the two
# conditions with the largest mu\* for reach and for sustainment.

# %% tags=["solution"] jupyter={"source_hidden": true}
top_two = {outcome_labels[o]: list(t.nlargest(2, "mu_star")["parameter"]) for o, t in indices.groupby("outcome")}
print(top_two)
assert set(top_two["classrooms reached, end"]) == set(top_two["classrooms sustained"])

# %% [markdown]
# **Exercise 2.** How much does the verdict table rest on luck? Without running anything new,
# count how many condition-outcome pairs are "clear" only because of the mu test, i.e. their mu
# band is clear of zero but their mu\* interval does not lie above the chance level. (To see verdicts
# move, rerun sections 2–4 with `N_TRAJ = 16`; it takes about twice as long.)

# %% tags=["solution"] jupyter={"source_hidden": true}
mu_clear = indices["mu"].abs() > indices["two_se"]
star_clear = indices["mu_star"] - indices["mu_star_conf"] > indices["chance_level"]
only_mu = indices[mu_clear & ~star_clear]
print(f"{len(only_mu)} of {len(indices)} pairs are clear only by the sign test:")
print(only_mu[["parameter", "outcome", "mu", "two_se"]].round(3).to_string(index=False))
assert len(only_mu) >= 1 and (mu_clear | star_clear).sum() == (indices["reading"] != "cannot tell from chance").sum()

# %% [markdown]
# ## Take-aways
#
# - A Morris screening runs each parameter up and down its range from many starting points and
#   ranks the parameters by the average size of their effect (**mu\***); **sigma** shows how much
#   that effect depends on the other conditions (interactions) or bends along its range.
# - Read the intervals, and in a random model check the **chance level** and the **direction** too:
#   a small screening separates the conditions that clearly matter from the rest, but cannot rank
#   the rest.
# - In this model, the cohort's **staff turnover** (hurts) and **leadership support** (helps) stand
#   out for both reach and sustainment. That is a statement about the model's assumptions, to be
#   checked against real collaboratives, and a pointer to where a Sobol' analysis should look next.
