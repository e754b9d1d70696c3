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
# # Comparing collaborative designs
#
# *For directors, coaches, trainers and funders. About 15 minutes to read; the notebook runs in
# under a minute.*
#
# Suppose a state agency has money to help eight early care and education programmes bring
# social-emotional learning practices into their classrooms. It could
#
# - run a **Breakthrough Series Collaborative** (`bsc`): each programme sends a team (director,
#   education manager, a lead and an assistant teacher, and a family member) to a community meeting,
#   three in-person learning sessions and monthly calls over a year, and the teams run PDSA tests of
#   change between sessions;
# - hire a **coach** (`coach`) for each programme, who visits every two weeks for a year and works
#   with one teacher at a time;
# - pay for a one-day **training** workshop (`training`) for teaching and family-services staff,
#   with no follow-up;
# - or do nothing special (`business_as_usual`): practices still spread a little on their own.
#
# This notebook uses **bsc_sim** to compare the four, the way one would compare them in a study:
# many simulated cohorts per design, averages with **95% intervals**, and **paired differences**
# between designs. It shows how to read such a comparison, and what it costs per classroom.
#
# > **Read the numbers as illustrations, not predictions.** Most of the model's effect sizes are
# > assumptions, only two of its parameters are fitted to data, and the patterns it is checked
# > against (`docs/validation.md`) come from health care and child welfare as much as from early
# > care and education (see also section 9 of `docs/ODD.md`). The comparison shows *how* the designs
# > work in the model and *how* to compare designs; the size of each gap is not a forecast for real
# > programmes.

# %%
from pathlib import Path
from tempfile import TemporaryDirectory

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown
from IPython.utils.capture import capture_output

from bsc_sim import load_params
from bsc_sim.model.calendar import build_calendar
from bsc_sim.experiments import ExecutorSpec
from bsc_sim.experiments.analysis import run_comparison
from bsc_sim.experiments.compare import KEY_OUTCOMES, curve_bands
from bsc_sim.experiments.figures import plot_curve_bands, plot_differences
from bsc_sim.analysis.cost_effectiveness import DEFAULT_WTP, cost_breakdown, cost_effectiveness, paired_increments
from bsc_sim.experiments.ce_figures import plot_ce_plane
from bsc_sim.formatting import usd, usd_interval
from bsc_sim.palette import design_label
from bsc_sim.plotting import money_axis

# (after the imports: the experiment module sets matplotlib to write files, this shows figures here)
# %matplotlib inline
sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 3)
DESIGNS = ["bsc", "coach", "training", "business_as_usual"]  # the first is the reference
N_REPS = 20          # simulated cohorts (replicates) per design
SEED = 0             # the root of the replicate seeds: the same seeds for every design
calendar = build_calendar(load_params(["design=bsc"]))  # session weeks and the end of the collaborative

# %% [markdown]
# ## 1. Replicates and common random numbers
#
# One simulated collaborative is one **replicate**: the model draws a cohort of eight programmes
# (four Head Start, four child care), with their classrooms, staff, readiness and turnover, and runs
# it through the support year and a follow-up year without support. Chance plays a
# part everywhere: who leaves their job, who comes to a session, which PDSA test works. So one
# replicate is one possible story, and we run many (here 20 per design) and look at the average and
# at how much the stories vary.
#
# Each replicate has a **seed**, a number that fixes all its chance events. We give replicate 1 of
# every design the same seed, replicate 2 the same (different) seed, and so on. Replicate 1 of
# `bsc` and replicate 1 of `coach` then start from **the same programmes with the same staff**; only
# the support differs. Statisticians call this **common random numbers**. It is the simulation
# version of a dream study design: the same programmes, tried with every option.
#
# The experiment below runs 4 designs × 20 replicates = 80 simulated collaboratives. Its files go to
# a temporary folder that is deleted at the end; we keep the tables in memory.

# %%
with TemporaryDirectory() as tmp, capture_output():  # capture_output: hide the text summary it prints
    # uncertainty="none": every replicate runs the same parameters (seed noise only), the intervals this
    # section explains; the command's default also draws one calibrated world per replicate.
    run, written = run_comparison(DESIGNS, N_REPS, SEED, Path(tmp), reference="bsc", executor=ExecutorSpec("serial"),
                                  progress=False, uncertainty="none")
    comparison = pd.read_csv(Path(tmp) / "comparison.csv")
results = run.results  # one row per design and replicate, with every outcome
print(f"{len(results)} simulated collaboratives in {run.seconds:.0f} s; files written: {', '.join(written)}")

# %% [markdown]
# A quick check that the designs really start from the same cohorts: replicate by replicate, the
# numbers of programmes, classrooms, staff posts and families are identical in every design. Here
# are the classrooms (one column per design, first five replicates).

# %%
results.pivot(index="replicate", columns="design", values="n_classrooms")[DESIGNS].head()

# %% [markdown]
# ## 2. Averages and their 95% intervals
#
# The table gives, for each design, the average over the 20 replicates and a **95% interval**
# around it. A "classroom reached" is one where at least one teacher uses a classroom practice
# **at fidelity** (well enough, consistently); "end" is the last week of the collaborative year,
# "follow-up" one year later, and "sustained" means reached at both times. The progress score is
# the IHI-style 1–5 team rating at the end of the year.
#
# **What the 95% interval means.** Our 20 replicates are a sample of the cohorts the model could
# draw. If we ran the whole experiment again with 20 new seeds, the average would come out a bit
# different. The interval shows that uncertainty: intervals built this way contain the model's
# long-run average 95 times out of 100. A narrow interval means 20 replicates pin the average down
# well; more replicates make it narrower. The interval is about the **model's average**, not about
# a single programme (individual cohorts vary far more, as the light bands in section 3 show), and
# not about the real world (the model is uncalibrated).

# %%
labels = {"frac_classrooms_reached_end": "classrooms reached, end",
          "frac_classrooms_reached_followup": "classrooms reached, follow-up",
          "frac_classrooms_sustained_followup": "classrooms sustained",
          "frac_frontline_fidelity_end": "front-line staff at fidelity, end",
          "mean_progress_score": "progress score (1-5)",
          "cost_total": "total cost (USD)"}
key = comparison[comparison["outcome"].isin(KEY_OUTCOMES)].copy()
key["average [95% interval]"] = [
    (f"{m:,.0f} [{lo:,.0f}, {hi:,.0f}]" if o == "cost_total" else f"{m:.2f} [{lo:.2f}, {hi:.2f}]")
    for o, m, lo, hi in zip(key["outcome"], key["mean"], key["ci_low"], key["ci_high"])]
key.pivot(index="outcome", columns="design", values="average [95% interval]").loc[list(labels), DESIGNS] \
    .rename(index=labels)

# %% [markdown]
# ## 3. Reach over time
#
# The figure follows the share of classrooms reached week by week, for two years. The line is the
# average over replicates, the dark band its 95% interval, and the light band the range in which
# the middle 80% of replicates fall (10th to 90th percentile): the dark band is about the
# *average*, the light band about *single cohorts*. Dotted lines mark the learning sessions of
# `bsc`, the dashed line the end of the collaborative year; after it, no design gives any more
# support.

# %%
bands = curve_bands(run.curves, results[["run_id", "design"]])
fig = plot_curve_bands(bands, session_weeks=calendar.session_weeks(), end_week=calendar.end_week,
                       title=f"Classrooms reached over time ({N_REPS} replicates per design)")
plt.show()

# %% [markdown]
# **What this shows.** In the model, reach grows slowly in the first months (practices take time
# to reach fidelity). What happens once the support ends, design by design (average share of
# classrooms reached, end of the support year → follow-up):

# %%
reach_means = results.groupby("design")[["frac_classrooms_reached_end", "frac_classrooms_reached_followup"]] \
    .mean().loc[DESIGNS]
spread_end = results.groupby("design")["frac_classrooms_reached_end"].quantile([0.1, 0.9]).unstack().loc[DESIGNS]
# the sentences around this cell, checked
assert (reach_means.loc[["bsc", "coach"], "frac_classrooms_reached_end"]
        > 2 * reach_means.loc[["training", "business_as_usual"], "frac_classrooms_reached_end"].max()).all(), \
    "the workshop and business as usual reach far fewer classrooms than the collaborative and the coach"
assert (spread_end[0.9] - spread_end[0.1]).loc["bsc"] > 0.15, "the light bands are wide"

words = {d: ("keeps growing" if f > e + 0.02 else "holds" if f > e - 0.02 else "falls back")
         for d, (e, f) in reach_means.iterrows()}
Markdown("\n".join(f"- **{design_label(d)}**: {e:.2f} → {f:.2f} ({words[d]}"
                    + (", with no support at all)" if d == "business_as_usual" else " after the support ends)")
                    for d, (e, f) in reach_means.iterrows()))

# %% [markdown]
# The light bands are wide: under the same design, one cohort of eight programmes can do much
# better or worse than another.
#
# In the model, what lasts after the support ends is the skill that coaching and the teams' own
# tests of change leave in staff, the learning culture the teams built (which decays slowly), and
# the few PDSA cycles teams keep running; a workshop's effect fades. In real collaboratives,
# lasting improvement is the exception [wells2018]. Treat every follow-up and sustainment result
# here with particular caution.

# %% [markdown]
# ## 4. Paired differences: how much better, and how sure?
#
# To compare two designs, we do not just compare their two averages. Because both designs ran on
# the same cohorts, we take the difference **replicate by replicate** (`coach` minus `bsc` for
# cohort 1, for cohort 2, ...) and then average those 20 differences, with their own 95% interval.
#
# **Reading the plot.** Each dot is the average difference from `bsc` (the reference); the bar is
# its 95% interval. A bar entirely to the left of the dashed zero line means that, in the model,
# the design scores lower than `bsc` on that outcome (for cost, lower is cheaper), by an amount
# somewhere in the bar. A bar that crosses zero means 20 replicates cannot tell the two apart.

# %%
fig = plot_differences(comparison, KEY_OUTCOMES)
plt.show()

# %%
shown = comparison[comparison["outcome"].isin(KEY_OUTCOMES) & (comparison["design"] != "bsc")]
shown = shown.assign(clear=(shown["diff_ci_low"] > 0) | (shown["diff_ci_high"] < 0),
                     label=shown["outcome"].map({**labels,  # names for the outcomes not in the table above
                                                 "frac_classrooms_reached_lag": "reached a year after its own support ends",
                                                 "frac_classrooms_sustained_lag": "sustained a year after its own support ends",
                                                 "frac_classrooms_using_followup": "classrooms using a practice, follow-up",
                                                 "frac_classrooms_using_lag": "using, a year after its own support ends"}))
assert shown[(shown["design"] != "coach") & shown["outcome"].isin(["frac_classrooms_reached_end", "cost_total"])]["clear"].all(), \
    "the workshop and business as usual reach clearly fewer classrooms at the end, and cost clearly less"
Markdown("\n".join(
    f"- **{design_label(d)}**: clear of zero on {', '.join(t[t['clear']]['label']) or 'nothing'}; "
    f"crosses zero (cannot tell from `bsc` in {N_REPS} replicates) on {', '.join(t[~t['clear']]['label']) or 'nothing'}."
    for d, t in shown.groupby("design", sort=False)))

# %% [markdown]
# In the model, the workshop and business as usual reach clearly fewer classrooms than the
# collaborative by the end of the year, and cost clearly less; coaching is the design to look at
# closely, as the list above shows outcome by outcome.
#
# Why pair? Much of the variation between replicates comes from the cohort itself: a cohort with
# high turnover or low readiness does worse under any design. Pairing takes that shared part out.
# The table compares the paired interval with the one we would get if each design had been tried on
# *different* programmes (approximated from the two designs' own intervals).

# %%
reach = comparison[comparison["outcome"] == "frac_classrooms_reached_end"].set_index("design")
half = (reach["ci_high"] - reach["ci_low"]) / 2
pairing = pd.DataFrame({
    "difference from bsc": reach["diff_mean"],
    "paired interval ±": (reach["diff_ci_high"] - reach["diff_ci_low"]) / 2,
    "interval ± with different programmes (approx.)": (half ** 2 + half["bsc"] ** 2) ** 0.5,
}).drop(index="bsc")
pairing["narrower by"] = 1 - pairing["paired interval ±"] / pairing["interval ± with different programmes (approx.)"]
pairing.round(3)

# %%
narrow = pairing.loc["coach", "narrower by"]
assert (pairing["narrower by"] >= 0).all(), "pairing never widens the interval here"
Markdown(f"Pairing helps only as far as the two designs respond to the same features of a cohort. For `bsc` and "
         f"`coach` here, it narrows the interval on their difference by "
         f"**{narrow:.0%}**, which is worth about **{1 / (1 - narrow) ** 2:.1f} times** as many replicates (the "
         f"width of an interval shrinks with the square root of their number). For the workshop and business as "
         f"usual it narrows by {pairing.loc['training', 'narrower by']:.0%} and "
         f"{pairing.loc['business_as_usual', 'narrower by']:.0%}: they reach so few classrooms in any cohort that "
         f"there is less shared variation to take out.")

# %% [markdown]
# Real studies can rarely pair this way (a programme
# cannot both join a collaborative and not join it); simulations can, which is one of their
# strengths.

# %% [markdown]
# ## 5. What does a classroom reached cost?
#
# The model counts the costs a funder or programme would bear: staff time at each role's wage,
# substitutes to cover teachers at sessions, family stipends, travel and venue, faculty, data-use
# support, the coach's visits and the trainer's fee. Staff time spent *using* the practices is not
# counted. Every unit cost is an assumption (`docs/ODD.md`, section 7.15).
#
# First, where the money goes (average per cohort of eight programmes):

# %%
costs = cost_breakdown(results).pivot(index="design", columns="item", values="mean_cost").loc[DESIGNS[:-1]]
costs = costs.loc[:, costs.sum() > 0]
costs.columns = [c.removeprefix("cost_").replace("_", " ") for c in costs.columns]
costs.index = [design_label(d) for d in costs.index]
ax = costs.plot.barh(stacked=True, figsize=(9, 3.5), colormap="tab20")
ax.invert_yaxis()
money_axis(ax, "x")  # $20k, $40k, ...: short labels that never collide
ax.set(xlabel=f"average cost per cohort of 8 programmes ({N_REPS} replicates per design)", ylabel="",
       title="Where the money goes (business as usual costs nothing)")
ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
plt.tight_layout()
plt.show()

# %% [markdown]
# Now what each design **buys**. Some classrooms are reached without any help (a teacher who
# already uses a practice well, or one who picks it up from a colleague), and a funder should not
# count those as bought. So each design is measured against business as usual, cohort for cohort:
# the **extra** cost and the **extra** classrooms, at the end of the collaborative year ("reached")
# and a year later ("sustained": reached at both times).
#
# Then the designs are lined up by cost, as in a decision table. A design is **dominated** if
# another costs less and does more; the others form the **efficiency frontier**. For each frontier
# design, the table gives its **sequential ICER** (incremental cost-effectiveness ratio): the extra
# cost divided by the extra classrooms **over the next cheaper design on the frontier** (the column
# "compared with"), a ratio of pooled means, with a 95% interval from resampling the paired cohorts.
# So the ICER of the most expensive frontier design is the price of the classrooms it adds over the
# next cheaper option, *not* over business as usual. `bsc-sim compare` writes the same table to
# `cost_effectiveness.csv` (with the ratio over business as usual in `icer_reference`); here we
# call the package function directly.

# %%
ce = cost_effectiveness(results, "business_as_usual", wtp=DEFAULT_WTP)
ce = ce[(ce["effect"] != "children_reached") & (ce["design"] != "business_as_usual")]
ce_table = ce.assign(**{
    "extra classrooms over business as usual": ce["inc_effect"].round(1),
    "compared with": ce["compared_with"].fillna("").map(lambda d: design_label(d) if d else "–"),
    "sequential ICER: USD per extra classroom over 'compared with' [95% interval]": [
        f"{usd(i)} {usd_interval(lo, hi)}" if i == i else "–"
        for i, lo, hi in zip(ce["icer"], ce["icer_ci_low"], ce["icer_ci_high"])],
    "when": ce["effect"].map({"classrooms_reached": "reached, end", "classrooms_sustained": "sustained, a year later"}),
})
ce_table.pivot(index="design", columns="when",
               values=["extra classrooms over business as usual", "status", "compared with",
                       "sequential ICER: USD per extra classroom over 'compared with' [95% interval]"]).loc[DESIGNS[:-1]]

# %% [markdown]
# The same numbers as a picture: the **cost-effectiveness plane**. Each panel puts the extra
# classrooms (or children) on the horizontal axis and the extra cost on the vertical one; a small
# dot is one cohort, a large dot the average with its intervals, and the slope from the origin to
# a large dot is its cost per extra classroom. The black line is the efficiency frontier: the
# designs worth considering at some price. A design off it is *dominated* (another costs less and
# does more) or *extendedly dominated* (a mix of two others would do more for the money).

# %%
fig = plot_ce_plane(paired_increments(results, "business_as_usual"),
                    cost_effectiveness(results, "business_as_usual", wtp=DEFAULT_WTP), wtp=DEFAULT_WTP)
plt.show()

# %% [markdown]
# **What this shows**, read from the table:

# %%
cost_ratio = results.groupby("design")["cost_total"].mean()
when_words = {"classrooms_reached": "at the end of the year", "classrooms_sustained": "a year later (sustained)"}
lines = []
for effect, t in ce.set_index("design").groupby("effect", sort=False):
    frontier = t[t["status"] == "frontier"].sort_values("inc_cost")
    steps = [f"{design_label(d)} adds {r['inc_effect'] - (t.loc[r['compared_with'], 'inc_effect'] if r['compared_with'] in t.index else 0):.1f} "
             f"classrooms over {design_label(r['compared_with']) if isinstance(r['compared_with'], str) else 'business as usual'}"
             + (f" at {usd(r['icer'])} each" if r["icer"] == r["icer"] else "") for d, r in frontier.iterrows()]
    off = ", ".join(f"{design_label(d)} ({r['status']})" for d, r in t[t["status"] != "frontier"].iterrows())
    lines.append(f"- **{when_words[effect]}**: " + "; ".join(steps) + (f". Off the frontier: {off}." if off else "."))
assert (ce[ce["design"] == "training"]["status"] != "frontier").all(), "the workshop is off the frontier on every count"
assert (ce[ce["design"].isin(["bsc", "coach"])]["inc_effect"] > 0).all(), "both buy extra classrooms, end and a year later"
assert cost_ratio["coach"] < cost_ratio["bsc"] / 2, "coaching costs less than half as much as the collaborative"
Markdown("\n".join(lines) + f"\n\nCoaching costs {cost_ratio['coach'] / cost_ratio['bsc']:.0%} of the collaborative "
         "per cohort. Business as usual costs nothing and is the point every other design is measured from.")

# %% [markdown]
# The answer depends on *when* one counts and on what one is willing to pay per extra classroom:
# the sequential ICER is the price of the classrooms the more expensive design adds over the
# cheaper one, and a funder who will pay that price per classroom should choose it.
#
# Why not the cost per classroom of each cohort, averaged? `results` has it for every run
# (`cost_per_classroom_sustained`), but it is undefined for a cohort that sustains no classroom,
# so an average silently drops those cohorts; and a design that costs nothing gets $0 whenever one
# of its cohorts sustains a classroom on its own, which ranks "do nothing" first. The count below
# shows how many cohorts each average would rest on.
# Pooling the increments, as above, avoids both problems; `comparison.csv` therefore leaves the
# per-cohort ratios out.

# %%
per_cohort = results.groupby("design")["cost_per_classroom_sustained"].agg(["count", "median"]).loc[DESIGNS]
assert per_cohort.loc["business_as_usual", "median"] == 0, "doing nothing gets $0 per classroom"
assert per_cohort["count"].min() < N_REPS, "some cohort sustains no classroom, and would be dropped"
per_cohort.rename(columns={"count": "cohorts where defined", "median": "median (USD)"})

# %% [markdown]
# ## Exercises
#
# Each exercise has a solution in the hidden cell below it (click the "…" to show it in
# JupyterLab). Try it first; the solution also checks its own answer. Both use the runs above.
#
# **Exercise 1.** How much of what coaching reaches at the end of its year is still reached at the
# follow-up? Compute, for `bsc` and `coach`, the average of `frac_classrooms_sustained_followup`
# divided by the average of `frac_classrooms_reached_end`.

# %% tags=["solution"] jupyter={"source_hidden": true}
kept = (results.groupby("design")["frac_classrooms_sustained_followup"].mean()
        / results.groupby("design")["frac_classrooms_reached_end"].mean()).loc[["bsc", "coach"]]
print(kept.round(2))
assert ((kept > 0) & (kept <= 1)).all()  # sustained classrooms are a subset of those reached at the end

# %% [markdown]
# **Exercise 2.** A funder will pay at most $5,000 per extra classroom sustained. Which design has
# the highest net monetary benefit (value of the extra classrooms minus the extra cost, both over
# business as usual)? Recompute `cost_effectiveness(results, "business_as_usual", wtp=5000)` and
# look at its `nmb` column.

# %% tags=["solution"] jupyter={"source_hidden": true}
ex2 = cost_effectiveness(results, "business_as_usual", wtp=5000)
ex2 = ex2[ex2["effect"] == "classrooms_sustained"].set_index("design")
nmb_by_hand = 5000 * ex2["inc_effect"] - ex2["inc_cost"]
print(ex2["nmb"].round(0))
assert (nmb_by_hand - ex2["nmb"]).abs().max() < 1e-6 * ex2["inc_cost"].abs().max() + 1e-9

# %% [markdown]
# ## Take-aways
#
# - Compare designs over **many replicates**, never on one simulated run: single cohorts vary a lot.
# - Give every design the **same seeds** (common random numbers), so each one is tried on the same
#   programmes with the same staff, and compare them **replicate by replicate**. The paired
#   difference and its 95% interval say how much better one design is, and how sure we can be.
# - A **95% interval** is about the model's average, given the replicates run. It does not say how
#   much single cohorts vary (the light bands do) or how right the model is (nothing here does).
# - Count what a design **buys**: extra classrooms over business as usual, cohort for cohort, and
#   divide pooled averages (extra cost over extra classrooms), never average per-cohort ratios.
#   Line the designs up by cost and read the **sequential** ICER: the price of what a design adds
#   over the next cheaper one worth considering. Above all, ask **when**: what a design buys by the
#   end of its support and what is still there a year later can differ. `bsc-sim compare` and
#   `bsc-sim report` give these numbers for any designs.
# - Most of the model's effect sizes are **assumptions** (`docs/ODD.md`, section 9), and its
#   sustainment in particular rests on few data. The comparison illustrates mechanisms and methods;
#   it does not predict what a real collaborative would achieve.
