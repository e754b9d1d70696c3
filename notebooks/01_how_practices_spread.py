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
# # How practices spread
#
# *For directors, coaches and trainers. About 10 minutes to read; the notebook runs in well under a minute.*
#
# A new social-emotional practice, such as coaching children through big feelings, rarely spreads
# through a programme because of a memo. Staff pick it up from each other: a teacher sees her
# co-teacher use it, hears about it from the education manager, tries it when enough of the
# people around her do.
#
# This notebook uses **bsc_sim**, a simulation of Breakthrough Series Collaboratives in early care
# and education, to show four things about that kind of spread:
#
# 1. the difference between practices that spread like news and practices that need *reinforcement*;
# 2. why a person's **threshold** (how many colleagues they need to see using a practice) matters so much;
# 3. why **tight-knit groups** help some practices and hurt others;
# 4. what happens when the **leaders** are the first to use a practice, rather than a teacher.
#
# Everything here runs only the model's spread rule, on its own. In the full model, people also
# stop using practices, leave their jobs, run PDSA tests and go to learning sessions; we switch all
# of that off to see the spread rule clearly. Every result is the average of many simulated
# programmes (replicates), never one lucky draw, and every random number comes from a fixed seed,
# so re-running the notebook gives the same figures.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import seaborn as sns

from bsc_sim import load_params
from bsc_sim import teaching

sns.set_theme(style="whitegrid", context="notebook")
params = load_params()  # the model's default settings (the CCL-like design)
N_REPS = 40             # simulated programmes per comparison
WEEKS = 52              # one year

# %% [markdown]
# ## 1. Who talks to whom: a programme's staff network
#
# The model connects the staff of each programme by the ties they have at work. The thicker the
# line, the stronger the tie (these strengths are assumptions of the model, not measurements):
#
# - the **lead and assistant teacher** of a classroom are the strongest tie;
# - the **education manager** is tied to every teacher, and closely to the director;
# - the **director** is tied to every teacher, more loosely;
# - some teachers in **different classrooms** are coworkers (about a third of pairs);
# - the **family-services** worker (Head Start) is tied to the director and the lead teachers.
#
# Each person also has a **threshold**: the share of their colleagues (weighted by tie strength)
# who must be using a practice before they join in. A threshold of 0.2 means "when about a fifth
# of the people I work with use it". The model draws thresholds around 0.2 for each person,
# following studies of how innovations cascade through networks.
#
# Here is one Head Start programme as the model draws it, with each person's threshold under them.

# %%
network = teaching.programme_network(params, seed=0, kind="head_start")
fig, ax = plt.subplots(figsize=(10, 4.8))
teaching.draw_network(network, ax=ax, label="threshold",
                      title=f"One Head Start programme: {network.number_of_nodes()} staff, their ties and thresholds")
plt.show()

# %% [markdown]
# ## 2. Spreading like news, or needing reinforcement
#
# Some things spread like news or a cold: **one** contact is enough. This is *simple contagion*.
#
# Changing what you do with children every day is different. People want to see a practice
# work for several colleagues before they invest in it. This is *complex contagion*: a person
# starts only when a big enough share of their colleagues use the practice (their threshold)
# **and** at least two different colleagues do. bsc_sim uses complex contagion for staff.
#
# Below, the same 40 simulated Head Start programmes start a practice in two ways: **one teacher**
# starts alone, or **both teachers of one classroom** start together. Each week, someone whose
# condition is met has a 15% chance of starting (the model's default). The line is the average over
# the 40 programmes; the band holds the middle 80% of them.

# %%
curves = teaching.spread_in_programmes(params, strategies=("teacher", "classroom"), rules=("simple", "complex"),
                                       n_reps=N_REPS, n_weeks=WEEKS, seed=1)
curves["first users"] = curves["strategy"].map(teaching.SEEDING_STRATEGIES)
g = sns.relplot(data=curves, x="week", y="frac_adopted", hue="rule", col="first users", kind="line",
                errorbar=("pi", 80), height=3.6, aspect=1.3, facet_kws={"ylim": (0, 1.02)})
g.set_axis_labels("week", "share of staff using the practice")
g.set_titles("First users: {col_name}")
g.figure.suptitle(f"Simple vs complex contagion in {N_REPS} Head Start programmes "
                  "(line: average; band: where the middle 80% of programmes fall)", y=1.04)
plt.show()

# %%
final = curves[curves["week"] == WEEKS]
final.groupby(["first users", "rule"])["frac_adopted"].mean().unstack().round(2)

# %%
# The sentences below, checked against the runs above: if the model changes, a stale sentence fails the tests.
LONE, PAIR = teaching.SEEDING_STRATEGIES["teacher"], teaching.SEEDING_STRATEGIES["classroom"]
share = final.groupby(["first users", "rule"])["frac_adopted"].mean()
start = curves[curves["week"] == 0].set_index(["first users", "rule", "rep"])["frac_adopted"]
grown = (final.set_index(["first users", "rule", "rep"])["frac_adopted"] - start).sort_index()
took_off = (grown.loc[(PAIR, "complex")] > 0.25).mean()
assert share[(LONE, "simple")] > 0.95, "simple contagion: one teacher reaches (almost) everyone"
assert (grown.loc[(LONE, "complex")] == 0).all(), "complex contagion: the practice never leaves a lone teacher"
assert 0.5 < took_off < 1, "two teachers of a classroom get it going in most programmes, not all"
print(f"Two first users in one classroom get it going in {took_off:.0%} of the {N_REPS} programmes.")

# %% [markdown]
# **What this shows.** With simple contagion a single enthusiastic teacher is enough: the practice
# reaches everyone in a few weeks. With complex contagion the lone teacher changes nothing: no one
# ever sees *two* colleagues using it, so the practice never leaves her. Two first users in the same
# classroom get it going in most programmes, though not all.
#
# This is one reason the Breakthrough Series sends a **team** from each programme rather than one
# person: a team gives the practice several visible users at once.

# %% [markdown]
# ## 3. Thresholds: small differences, big consequences
#
# Now we give everybody in the programme the same threshold and change it step by step, from very
# open (0.1) to cautious (0.5). We compare three pairs of first users: the two teachers of one
# classroom, two teachers from different classrooms, and the director with the education manager.
# Each point is the average share of staff using the practice after a year, over the same 40
# programmes.

# %%
sweep = teaching.threshold_sweep(params, thresholds=(0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5),
                                 strategies=("classroom", "two_teachers", "leaders"), n_reps=N_REPS,
                                 n_weeks=WEEKS, seed=1)
sweep["first users"] = sweep["strategy"].map(teaching.SEEDING_STRATEGIES)
fig, ax = plt.subplots(figsize=(8, 4.2))
sns.lineplot(data=sweep, x="threshold", y="frac_adopted", hue="first users", marker="o", errorbar=None, ax=ax)
ax.axvline(params.staff.threshold_mean, color="0.3", ls="--", lw=1)
ax.text(params.staff.threshold_mean + 0.005, 0.05, "model's average\nthreshold", fontsize="small")
ax.set(title="Share of staff using the practice after a year, by threshold",
       xlabel="everybody's threshold (share of colleagues who must use it)",
       ylabel="share of staff using it", ylim=(0, 1.02))
ax.legend(title="first users", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
plt.show()

# %%
sweep.pivot_table(index="threshold", columns="first users", values="frac_adopted").round(2)

# %%
by_threshold = sweep.pivot_table(index="threshold", columns="first users", values="frac_adopted")
TWO, LEADERS = teaching.SEEDING_STRATEGIES["two_teachers"], teaching.SEEDING_STRATEGIES["leaders"]
assert by_threshold.loc[0.1, PAIR] > 0.8 > 0.3 > by_threshold.loc[0.3, PAIR], "a pair of teachers tips between 0.1 and 0.3"
assert (by_threshold.loc[0.3:, LEADERS] > by_threshold.loc[0.3:, [PAIR, TWO]].max(axis=1)).all(), \
    "the leaders keep it spreading at higher thresholds than any pair of teachers"
assert by_threshold[TWO].mean() > by_threshold[PAIR].mean(), "two teachers in different rooms do better than one room's"

# %% [markdown]
# **What this shows.** Spread does not fade gently as thresholds rise: it **tips**. Below a
# point the practice reaches almost everyone; a little above it, it mostly stays with the first
# users. For a pair of teachers the drop happens between 0.1 and 0.3, right around the model's
# average threshold of 0.2, so in the model small things that nudge thresholds matter a lot.
#
# In the full model those nudges are exactly what a collaborative works on: a person's threshold
# drops when they believe the practice works, when the programme has a learning culture, when the
# leaders have endorsed it, and when it is simple and quick to use; it rises when staff have no
# time. (Here we switched those shifts off.)
#
# Two more things to notice. The director and education manager together keep the practice
# spreading at much higher thresholds than any pair of teachers (section 5 explains why). And two
# teachers from **different** classrooms do better than the two teachers of **one** classroom:
# co-teachers' strong tie is spent on each other, while two teachers in different rooms can both
# reach a third colleague (for example one's co-teacher, if she is a coworker of the other).

# %% [markdown]
# ## 4. Tight-knit groups versus "small worlds"
#
# How people are connected matters as much as how many connections they have. To see this
# clearly we leave the programme and use a textbook network: 100 people in a ring, each tied to
# their four nearest neighbours. Neighbours share neighbours, so the ring is **tight-knit**
# (clustered). Then we **rewire** some ties at random, which creates shortcuts across the ring,
# like a staff member who knows someone in a distant programme.
#
# The first users are one person and all of their contacts. Small versions of the two networks:

# %%
ring = teaching.small_world(n_nodes=20, k=4, p_rewire=0.0, seed=3)
rewired = teaching.small_world(n_nodes=20, k=4, p_rewire=1.0, seed=3)
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
teaching.draw_network(ring, ax=axes[0], layout="circle", adopted=teaching.neighbourhood(ring, 0),
                      title="Tight-knit ring (no rewiring)")
teaching.draw_network(rewired, ax=axes[1], layout="circle", adopted=teaching.neighbourhood(rewired, 0),
                      title="All ties rewired at random")
fig.suptitle("Two networks with the same number of ties (black rings: first users)")
plt.show()

# %%
clus = teaching.clustering_experiment(params, p_rewire=(0.0, 0.01, 0.03, 0.1, 0.3, 1.0), n_nodes=100, k=4,
                                      n_reps=N_REPS, n_steps=WEEKS, seed=1)
ends = clus[clus["p_rewire"].isin([0.0, 1.0])].copy()
ends["network"] = ends["p_rewire"].map({0.0: "tight-knit ring", 1.0: "rewired at random"})
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
sns.lineplot(data=ends, x="step", y="frac_adopted", hue="rule", style="network", errorbar=("pi", 80), ax=axes[0])
axes[0].set(title="Spread over a year", xlabel="week", ylabel="share of people using it", ylim=(0, 1.02))
last = clus[clus["step"] == WEEKS]
sns.pointplot(data=last, x="p_rewire", y="frac_adopted", hue="rule", errorbar=("pi", 80), ax=axes[1])
axes[1].set(title="Share using it after a year, by rewiring", xlabel="share of ties rewired at random (0 = tight-knit)",
            ylabel="share of people using it", ylim=(0, 1.02))
fig.suptitle(f"Simple vs complex contagion on a ring of 100 people ({N_REPS} networks each; "
             "bands and bars: where the middle 80% fall)")
fig.tight_layout()
plt.show()

# %%
last.groupby(["rule", "p_rewire"])[["frac_adopted", "clustering"]].mean().unstack("rule").round(2)

# %%
at_year = last.groupby(["rule", "p_rewire"])["frac_adopted"].mean()
assert at_year[("simple", 0.1)] > 0.95, "simple contagion reaches everyone once a tenth of ties are rewired"
assert at_year[("complex", 1.0)] < 0.08, "complex contagion stays with the first users (about 5%) when rewired"
assert at_year[("complex", 0.0)] > 2 * at_year[("complex", 1.0)], "on the tight-knit ring it creeps outward"

# %% [markdown]
# **What this shows.** The shortcuts that make news travel fast (simple contagion reaches everyone
# once a tenth of ties are rewired) **stop** a practice that needs reinforcement. On the rewired
# network a new user's contacts rarely know each other, so hardly anyone ever sees two colleagues
# using the practice, and it stays with the first users (who are about 5% of the ring). On the
# tight-knit ring it creeps steadily outward, neighbour by neighbour.
#
# For practice: a practice that asks people to change what they do spreads best inside groups whose
# members share colleagues, such as classroom teams, a programme's teaching staff, a learning
# community. A single link to another programme is good for hearing about a practice, not for
# taking it up.
#
# **A caution.** This lesson depends on how many contacts people have compared with how many
# users they need to see. Here is the same experiment with six contacts per person instead of four
# (same thresholds, same two-source rule):

# %%
six = teaching.clustering_experiment(params, p_rewire=(0.0, 0.1, 1.0), n_nodes=100, k=6, n_reps=N_REPS,
                                     n_steps=WEEKS, seed=1)
six[six["step"] == WEEKS].pivot_table(index="p_rewire", columns="rule", values="frac_adopted").round(2)

# %%
six_year = six[six["step"] == WEEKS].groupby(["rule", "p_rewire"])["frac_adopted"].mean()
assert six_year[("complex", 1.0)] > six_year[("complex", 0.0)], "with six contacts the result reverses"

# %% [markdown]
# With six contacts the result **reverses**: complex contagion now spreads further on the random
# network than on the ring. The first users are now seven people with six ties each, so random
# shortcuts often deliver two users to the same person, and from there the practice cascades.
# Clustering helps a practice that needs reinforcement only when reinforcement is hard to come by
# any other way. The programme networks of sections 1–3 are small and dense (the leaders connect
# everybody), so treat the ring as a thinking tool, not as a picture of a programme.

# %% [markdown]
# ## 5. Does it help if the leaders go first?
#
# Finally we return to real programme networks and compare five ways to start, now with the
# model's full spread rule: complex contagion plus a small chance that someone starts on their
# own (having heard about it elsewhere) or by imitating colleagues. Each person keeps their own
# threshold.

# %%
leaders = teaching.spread_in_programmes(params, strategies=tuple(teaching.SEEDING_STRATEGIES), rules=("model",),
                                        n_reps=N_REPS, n_weeks=WEEKS, seed=1)
leaders["first users"] = leaders["strategy"].map(teaching.SEEDING_STRATEGIES)
fig, ax = plt.subplots(figsize=(9, 4.5))
sns.lineplot(data=leaders, x="week", y="frac_adopted", hue="first users", errorbar=None, ax=ax)
ax.set(title=f"Who goes first? Average of {N_REPS} Head Start programmes (the model's full spread rule)",
       xlabel="week", ylabel="share of staff using the practice", ylim=(0, 1.02))
ax.legend(title="first users", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
plt.show()

# %%
checkpoints = leaders[leaders["week"].isin([13, 26, 52])]
table = checkpoints.pivot_table(index="first users", columns="week", values="frac_adopted")
table.columns = [f"share using at week {w}" for w in table.columns]
half = teaching.weeks_to_reach(leaders, 0.5, by=("first users", "rep"))
table["programmes where half use it by week 52"] = half["weeks_to_reach"].notna().groupby(half["first users"]).mean()
table.sort_values("share using at week 13", ascending=False).round(2)

# %%
DIRECTOR = teaching.SEEDING_STRATEGIES["director"]
assert table["share using at week 13"].idxmax() == LEADERS and table.loc[LEADERS, "share using at week 13"] > 0.8, \
    "director + education manager: the fastest start, about nine in ten staff within three months"
assert table.loc[LONE, "programmes where half use it by week 52"] < 0.5, "a lone teacher: half the staff in < half"
assert table.loc[DIRECTOR, "share using at week 52"] > table.loc[LONE, "share using at week 52"], \
    "a lone director does better than a lone teacher by the end of the year"

# %% [markdown]
# **What this shows.**
#
# - **One person alone is slow, whoever it is.** Neither a lone teacher nor a lone director can
#   start a practice that needs two sources. Spread waits until a second person happens to start
#   on their own, which often takes months: both curves rise only slowly at first, and with a lone
#   teacher half the staff are using the practice after a year in fewer than half of the programmes.
# - **A lone director does better than a lone teacher, but only later.** Once anybody else starts,
#   the director (who is tied to everyone) is one of their two sources, so the practice takes off
#   from wherever that second user is. A lone teacher needs the second user to be one of *her*
#   contacts.
# - **The director and the education manager together are the fastest start by far.** Both are
#   tied to every teacher, so every teacher sees two users at once: about nine in ten staff use the
#   practice within three months.
# - Two teachers are in between, and again two teachers from different rooms do a little better
#   than the two teachers of one room.
#
# **A caution about leaders in the full model.** Here anyone on staff can use the practice. In the
# full model a *classroom* practice is used only by teachers, so leaders cannot be "first users" of
# it; they influence it through **endorsement**, which lowers teachers' thresholds once the team has
# adopted the practice. Section 3 shows why even a small drop in thresholds can matter.

# %% [markdown]
# ## Exercises
#
# Each exercise has a solution in the hidden cell below it (click the "…" to show it in
# JupyterLab). Try it first; the solution also checks its own answer.
#
# **Exercise 1.** Section 2 started the practice with two teachers of one classroom. Under
# complex contagion, which of the other first users (`teaching.SEEDING_STRATEGIES`) gets the
# practice to the most staff after a year? Use `teaching.spread_in_programmes` with
# `rules=("complex",)`.

# %% tags=["solution"] jupyter={"source_hidden": true}
ex1 = teaching.spread_in_programmes(params, strategies=tuple(teaching.SEEDING_STRATEGIES), rules=("complex",),
                                    n_reps=N_REPS, n_weeks=WEEKS, seed=1)
ex1_final = ex1[ex1["week"] == WEEKS].groupby("strategy")["frac_adopted"].mean().sort_values(ascending=False)
print(ex1_final.rename(index=teaching.SEEDING_STRATEGIES).round(2))
assert ex1_final.index[0] == "leaders"  # both leaders are tied to every teacher
assert ex1_final["teacher"] < 0.1       # a lone teacher never finds her two sources

# %% [markdown]
# **Exercise 2.** The tipping point of section 3 was found with the model's weekly chance of
# starting, 15%. Does a slower chance move *where* spread tips, or only *how fast* it gets there?
# Rerun `teaching.threshold_sweep` for one classroom's two teachers with
# `load_params(["spread.p_threshold=0.05"])` (a 5% weekly chance).

# %% tags=["solution"] jupyter={"source_hidden": true}
slow = load_params(["spread.p_threshold=0.05"])
ex2 = teaching.threshold_sweep(slow, thresholds=(0.1, 0.2, 0.3), strategies=("classroom",), n_reps=N_REPS,
                               n_weeks=WEEKS, seed=1).groupby("threshold")[["frac_adopted", "weeks_to_half"]].mean()
print(ex2.round(2))
# It still tips between 0.1 and 0.3: the threshold decides *whether*; the weekly chance mostly *when*.
assert ex2.loc[0.1, "frac_adopted"] > 0.5 > ex2.loc[0.3, "frac_adopted"]
default_weeks = sweep[(sweep["strategy"] == "classroom") & (sweep["threshold"] == 0.1)]["weeks_to_half"].mean()
assert ex2.loc[0.1, "weeks_to_half"] > default_weeks  # but it takes longer to get there

# %% [markdown]
# ## Take-aways
#
# - Practices that change daily routines need **reinforcement** from several colleagues; one
#   champion is rarely enough.
# - Whether a practice spreads can **tip** on small differences in how ready people are to try
#   it, so what lowers thresholds (belief, culture, endorsement, simplicity, time) is worth a lot.
# - **Tight-knit groups** carry such practices when reinforcement is scarce; loose, far-flung ties
#   carry news.
# - **Leaders who are connected to everyone** make strong first users, especially together.
#
# These are properties of the model's assumptions (tie strengths, thresholds around 0.2, a 15%
# weekly chance of starting), which come from research on networks but are not calibrated to
# early care and education programmes. Use them to think with, not as predictions.
