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
# # A PDSA cycle up close
#
# *For directors, coaches and trainers. About 10 minutes to read; the notebook runs in well under a minute.*
#
# In a Breakthrough Series Collaborative, each programme's team learns by running small **tests of
# change**, called PDSA cycles:
#
# - **Plan**: pick a practice and plan a small test ("what can we try by next Tuesday?");
# - **Do**: try it, usually in one classroom first;
# - **Study**: look at what happened;
# - **Act**: decide. If it worked, **scale up** to more classrooms (or, once every classroom has
#   tried it, **adopt** it programme-wide); if it half worked, **adapt** it and test again; if it did
#   not work, **abandon** it for now.
#
# This notebook follows one simulated team through a year of cycles with **bsc_sim**, and then asks
# a question every coach knows: *what if the team reads the result wrong?* Teams rarely have clean
# data. When they judge by impression, or measure with little support, they can see success where
# there was none, or give up on a practice that was working.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Markdown, display

from bsc_sim import load_params, run_sim
from bsc_sim import teaching

sns.set_theme(style="whitegrid", context="notebook")
params = load_params()            # the default, CCL-like collaborative
SEEDS = range(20)                 # 20 simulated collaboratives per condition
result = run_sim(params, seed=0)  # one simulated collaborative: 8 programmes over two years
END = result.meta["end_week"]     # the last week of the collaborative (the closing congress)

# %% [markdown]
# ## 1. One team's year
#
# The model logs every cycle a team runs. Here are the cycles of the busiest team in one simulated
# collaborative, during the collaborative year. Each row is one test of change:
# `scale` is the number of classrooms in the test, `true_result` the share of those classrooms
# where the practice really worked, and `observed_result` what the team saw.

# %%
team = teaching.busiest_team(result.events, last_week=END)
timeline = teaching.team_timeline(result.events, team, last_week=END, params=params)
timeline[["cycle", "practice", "week_start", "week_decided", "scale", "true_result", "observed_result",
          "data_used", "decision", "misread"]].round(2)

# %%
fig = teaching.plot_team_timeline(timeline, params, session_weeks=result.meta["session_weeks"], end_week=END,
                                  title=f"One team's tests of change (programme {team}); "
                                        "dotted lines: learning sessions, dashed: end of the collaborative")
plt.show()

# %% [markdown]
# **How to read it.** The top panel shows what the team tested and when. A green bar followed by a
# longer bar on the same row is the classic PDSA path: it worked in one classroom, so the team tried
# it in two, then four, until it was adopted. The bottom panel shows, at each decision, the **true**
# result (black dot) and what the team **saw** (open circle). The coloured bands are the decision
# rules: the team adopts or scales up when it sees at least 60% success, adapts between 35% and
# 60%, and abandons below 35%.
#
# When the two dots fall in **different bands**, the team has **misread** the test (red cross): its
# decision is not the one the true result called for.
#
# Where does the gap come from? After each test the team either **measures** (with a probability
# equal to its data capacity, which data-use support from the collaborative raises) or goes by
# **impression**. Measuring shrinks the error; impressions are typically off by up to a third in
# either direction (a standard deviation of 0.35 on a 0–1 scale: an assumption of the model,
# since no study pins it down).

# %%
# the numbers in the text above and in section 4, checked against the model's parameters
assert (params.pdsa.adopt_threshold, params.pdsa.abandon_threshold) == (0.6, 0.35)
assert params.pdsa.obs_noise_sd == 0.35 and params.pdsa.abandon_cooldown_weeks == 12

# %% [markdown]
# ## 2. Measured or judged by impression?
#
# To see the pattern, not one team's luck, we now pool every cycle from 20 simulated
# collaboratives of the default design, and compare the error (seen minus true) when the team
# measured and when it went by impression.

# %%
base = teaching.run_conditions({"default": []}, seeds=SEEDS)
studied = base.events[base.events["decision"] != "fizzled"].copy()
studied["how the team judged"] = studied["data_used"].map({True: "measured", False: "by impression"})
studied["size of error"] = studied["error"].abs()
fig, ax = plt.subplots(figsize=(8, 4))
sns.histplot(data=studied, x="error", hue="how the team judged", stat="proportion", common_norm=False,
             bins=30, binrange=(-1, 1), element="step", ax=ax)
ax.set(title=f"How far off the team was ({len(studied)} cycles in 20 collaboratives)",
       xlabel="observed result minus true result", ylabel="share of cycles")
plt.show()

# %%
judged = studied.groupby("how the team judged").agg(cycles=("error", "size"),
                                                    mean_size_of_error=("size of error", "mean"),
                                                    share_misread=("misread", "mean"))
assert judged.loc["by impression", "mean_size_of_error"] > 2 * judged.loc["measured", "mean_size_of_error"]
assert judged.loc["by impression", "share_misread"] > 2 * judged.loc["measured", "share_misread"]
judged.round(2)

# %% [markdown]
# Measured results are usually close to the truth; impressions are much more scattered, and they
# lead to a misread decision several times as often (the two `assert` lines above check both
# statements, so this sentence cannot go stale unnoticed).
#
# Note that many results sit at 0 or 1: a first test in a single classroom either works or it does
# not. A large error is then needed to misread it. Tests in several classrooms give results in
# between, close to the decision lines, where even a small error can flip the decision.

# %% [markdown]
# ## 3. Strong and weak data: how often do teams misread?
#
# Now we change the conditions and run 20 collaboratives under each (the same 20 seeds, so the
# programmes are the same and only the data conditions differ):
#
# - **data-use support** from the collaborative, on (the default) or off (`bsc_no_data_support`);
# - how noisy a team's **impressions** are, from perfect (0) to very noisy (0.7); the default is 0.35.
#   When a team measures, its error is this noise times (1 − its data capacity).

# %%
conditions = {
    "no noise": ["pdsa.obs_noise_sd=0.0"],
    "noise 0.1": ["pdsa.obs_noise_sd=0.1"],
    "noise 0.2": ["pdsa.obs_noise_sd=0.2"],
    "noise 0.35 (default)": [],
    "noise 0.5": ["pdsa.obs_noise_sd=0.5"],
    "noise 0.7": ["pdsa.obs_noise_sd=0.7"],
    "no data-use support": ["design=bsc_no_data_support"],
}
runs = teaching.run_conditions(conditions, seeds=SEEDS)
fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), sharey=True, width_ratios=(3, 1.3))
panels = ((axes[0], [c for c in conditions if c != "no data-use support"], "How noisy impressions are"),
          (axes[1], ["noise 0.35 (default)", "no data-use support"], "Data-use support"))
for ax, order, title in panels:
    data = runs.summary[runs.summary["condition"].isin(order)]
    sns.stripplot(data=data, x="condition", y="frac_pdsa_misread", order=order, jitter=False, alpha=0.35,
                  color="0.4", ax=ax)
    sns.pointplot(data=data, x="condition", y="frac_pdsa_misread", order=order, errorbar=("se", 2),
                  color="#d01c8b", linestyle="none", ax=ax)
    ax.set(title=title, xlabel="", ylabel="share of studied cycles misread")
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
fig.suptitle("Misread PDSA cycles (grey: each of 20 collaboratives; pink: average ± 2 standard errors)")
fig.tight_layout()
plt.show()

# %%
by_condition = runs.summary.groupby("condition", observed=True)[["frac_pdsa_misread", "mean_abs_error",
                                                                  "n_pdsa_cycles", "frac_pdsa_well_run"]].mean()
misread = by_condition["frac_pdsa_misread"]
noise_levels = [c for c in conditions if c != "no data-use support"]
assert misread["no noise"] == 0, "with perfect data no test is misread"
assert misread[noise_levels].is_monotonic_increasing, "the misread share rises steadily with noise"
assert misread["noise 0.7"] >= 0.2, "with very noisy impressions about a quarter or more are misread"
assert misread["no data-use support"] > misread["noise 0.35 (default)"], "no data-use support: more misreads"
by_condition.round(3)

# %% [markdown]
# **What this shows.** The share of misread cycles rises steadily with noise: with perfect data
# no test is misread, and with very noisy impressions about a quarter or more are. Taking away the
# collaborative's data-use support raises the misread share, because teams then measure less often
# and less precisely:

# %%
Markdown(f"without data-use support, **{misread['no data-use support']:.1%}** of studied cycles are misread, "
         f"against **{misread['noise 0.35 (default)']:.1%}** with it (the default), a difference of "
         f"{100 * (misread['no data-use support'] - misread['noise 0.35 (default)']):.1f} percentage points.")

# %% [markdown]
# ## 4. What kind of mistakes, and do they matter?
#
# A misread can go two ways. A team can **give up on a practice that was working**, or **push ahead
# with one that was not**. The tables below compare every studied cycle under low noise and high
# noise: rows are what the true result called for, columns what the team saw (shares of all cycles;
# the diagonal is a correct reading).

# %%
low = runs.events[runs.events["condition"] == "noise 0.1"]
high = runs.events[runs.events["condition"] == "noise 0.7"]
print("Low noise (0.1)")
display(teaching.misread_crosstab(low).round(3))
print("High noise (0.7)")
display(teaching.misread_crosstab(high).round(3))

# %% [markdown]
# Finally, do the misreads change what the collaborative achieves? The left panel shows the share
# of classrooms using at least one classroom practice at fidelity when the collaborative ends. The
# right panel uses the fact that every condition ran the same 20 cohorts: for each cohort, it takes
# the difference from the same cohort with perfect data ("no noise"), which shows small effects far
# more clearly than comparing two averages.

# %%
order = list(conditions)
diff = teaching.paired_differences(runs.summary, "frac_classrooms_reached_end", baseline="no noise")
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
sns.pointplot(data=runs.summary, x="condition", y="frac_classrooms_reached_end", order=order, errorbar=("se", 2),
              linestyle="none", ax=axes[0])
axes[0].set(title="Classrooms reached at the end of the collaborative", xlabel="", ylabel="share of classrooms",
            ylim=(0, None))
sns.pointplot(data=diff, x="condition", y="difference", order=order[1:], errorbar=("se", 2), linestyle="none",
              color="#d01c8b", ax=axes[1])
axes[1].axhline(0, color="0.3", lw=1)
axes[1].set(title="Difference from the same cohorts with perfect data", xlabel="",
            ylabel="difference in share reached")
for ax in axes:
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
fig.suptitle("Classroom reach by data condition (average of 20 collaboratives ± 2 standard errors)")
fig.tight_layout()
plt.show()

# %%
outcomes = runs.summary.groupby("condition", observed=True)[["frac_classrooms_reached_end",
                                                             "n_practices_adopted_by_teams"]].mean()
outcomes["reach difference from no noise"] = diff.groupby("condition", observed=True)["difference"].mean()
loss = outcomes["reach difference from no noise"]
assert -0.10 < loss["noise 0.35 (default)"] < 0, "the default noise loses a few points of reach"
assert loss["noise 0.7"] < loss["noise 0.35 (default)"], "very noisy impressions lose a little more"
assert outcomes.loc["noise 0.7", "n_practices_adopted_by_teams"] < outcomes.loc["no noise", "n_practices_adopted_by_teams"]
outcomes.round(3)

# %% [markdown]
# **What this shows.** Misreads cost something, but less than one might fear. Compared with the
# same cohorts with perfect data, the default amount of noise loses a few percentage points of
# classroom reach, and very noisy impressions lose a little more; teams also adopt somewhat fewer
# practices programme-wide (the asserts above check all three).
#
# What about taking away data-use support? Its proper comparison is the default, which has the
# support and the same noise, cohort for cohort. The paired difference, with its t statistic
# (the mean difference over its standard error; beyond about ±2.1 for 20 pairs the difference is
# clear of zero at the 5% level):

# %%
no_support = teaching.paired_differences(runs.summary, "frac_classrooms_reached_end",
                                         baseline="noise 0.35 (default)")
no_support = no_support[no_support["condition"] == "no data-use support"]["difference"]
t_stat = no_support.mean() / (no_support.std(ddof=1) / len(no_support) ** 0.5)
verdict = ("clearly below zero: the support's lost measurements cost reach" if t_stat < -2.1 else
           "clearly above zero" if t_stat > 2.1 else "too small to tell apart from zero")
Markdown(f"Without data-use support, classroom reach at the end differs from the default by "
         f"**{100 * no_support.mean():+.1f} percentage points** on average over the same {len(no_support)} cohorts "
         f"(t = {t_stat:.1f}): {verdict} in {len(no_support)} runs.")
#
# %% [markdown]
# Why not more? Two of the model's assumptions soften the blow: a team that abandons a working
# practice may test it again after a cool-down of 12 weeks, and most practices in the default
# change package work in most classrooms, so a mistaken "adopt" is rarely costly. A change package
# with weaker or riskier practices could make misreads matter more.

# %% [markdown]
# ## Exercises
#
# Each exercise has a solution in the hidden cell below it (click the "…" to show it in
# JupyterLab). Try it first; the solution also checks its own answer. Both use the runs above, so
# they take no time.
#
# **Exercise 1.** Data-use support is meant to make teams *measure* more often. In `runs.events`,
# what share of studied cycles (those whose `decision` is not `"fizzled"`) did the team measure
# (`data_used`), with the default support and without it?

# %% tags=["solution"] jupyter={"source_hidden": true}
ex1 = runs.events[(runs.events["decision"] != "fizzled")
                  & runs.events["condition"].isin(["noise 0.35 (default)", "no data-use support"])]
measured_share = ex1.groupby("condition", observed=True)["data_used"].mean()
print(measured_share.round(2))
assert measured_share["noise 0.35 (default)"] > measured_share["no data-use support"]

# %% [markdown]
# **Exercise 2.** Under very noisy impressions (`"noise 0.7"`), are misread cycles more often a
# working practice dropped or a weak one pushed ahead? Use `teaching.misread_crosstab(high)` from
# section 4: cells above the diagonal (true band lower than the seen band) are weak practices
# pushed ahead.

# %% tags=["solution"] jupyter={"source_hidden": true}
ex2 = teaching.misread_crosstab(high)
bands = list(ex2.index)
pushed = sum(ex2.iloc[i, j] for i in range(len(bands)) for j in range(len(ex2.columns)) if j > i)
dropped = sum(ex2.iloc[i, j] for i in range(len(bands)) for j in range(len(ex2.columns)) if j < i)
print(ex2.round(3))
print(f"pushed ahead: {pushed:.1%} of cycles; dropped: {dropped:.1%}")
assert pushed > 0 and dropped > 0  # misreads go both ways (take-away 3)

# %% [markdown]
# ## Take-aways
#
# - A PDSA cycle is only as good as the reading of its result. In the model, results judged by
#   impression are misread several times as often as measured ones.
# - Support for collecting and using data makes teams measure more often and more precisely, and
#   lowers the share of misread cycles.
# - Misreads come in both directions: good practices dropped and weak ones scaled up.
# - In this (uncalibrated) model, misreads cost the collaborative a few points of classroom reach:
#   less than one might expect. That is a property of its assumptions, worth testing against real
#   collaboratives.
