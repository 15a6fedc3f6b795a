import random

from zen_tui.sync.interval import Budget, IntervalPolicy, budget_floor, next_interval

P = IntervalPolicy(base=60, minimum=10, maximum=600, backoff=1.5, focus_factor=0.5)


def test_backs_off_by_factor_while_nothing_changes_up_to_max():
    seen, prev = [], None
    for _ in range(10):
        prev, wait = next_interval(P, previous=prev, changed=False)
        seen.append(wait)
    assert seen[:3] == [60, 90, 135]
    assert seen[-1] == 600 and max(seen) == 600


def test_change_snaps_back_to_base():
    assert next_interval(P, previous=400, changed=True) == (60, 60)


def test_focus_shortens_but_not_below_minimum():
    plain, wait = next_interval(P, previous=60, changed=True, focused=True)
    assert (plain, wait) == (60, 30)
    tiny = IntervalPolicy(base=12, minimum=10, focus_factor=0.5)
    assert next_interval(tiny, previous=None, changed=True, focused=True)[1] == 10


def test_never_below_x_poll_interval():
    assert next_interval(P, previous=None, changed=True, focused=True, poll_interval=120)[1] == 120


def test_budget_stretches_interval_until_reset():
    # 30 calls left for 10 minutes with 3 pollers: 90%% of 30 = 27 -> 9 rounds -> 66.7 s apart
    budget = Budget(remaining=30, reset_at=1000 + 600, pollers=3)
    floor = budget_floor(budget, now=1000, safety=0.9)
    assert abs(floor - 600 * 3 / 27) < 1e-9
    wait = next_interval(P, previous=None, changed=True, focused=True, budget=budget, now=1000)[1]
    assert wait == floor


def test_exhausted_budget_waits_for_the_reset():
    assert budget_floor(Budget(remaining=0, reset_at=1300), now=1000) == 300
    assert budget_floor(Budget(remaining=5, reset_at=900), now=1000) == 0
    assert budget_floor(None, now=1000) == 0


def test_by_default_the_floor_plans_to_spend_ninety_percent_of_the_budget():
    # docs/sync.md: "stretched so 90% of the budget lasts until the reset"
    assert budget_floor(Budget(remaining=100, reset_at=1900), now=1000) == 900 / 90


def test_the_budget_floor_keeps_every_budget_alive_until_its_reset():
    """Seeded random budgets: polling every `floor` seconds spends at most safety * remaining
    before the reset, never waits past the reset, and only a past reset means no floor."""
    rng = random.Random(11)
    now = 1_700_000_000.0
    for _ in range(2000):
        window = rng.choice([rng.uniform(-60, 0), rng.uniform(0, 2), rng.uniform(0, 3600)])
        budget = Budget(
            remaining=rng.randint(0, 5000),
            reset_at=now + window,
            pollers=rng.randint(1, 8),
            calls_per_poll=rng.choice([1.0, 2.0, 3.5]),
        )
        safety = rng.choice([0.5, 0.9, 1.0])
        floor = budget_floor(budget, now, safety)
        window = budget.reset_at - now  # as the code sees it (epoch floats round)
        if window <= 0:
            assert floor == 0
            continue
        assert 0 < floor <= window + 1e-9
        rounds = window // floor if floor < window else 0  # polls before the reset, after now
        spent = rounds * budget.pollers * budget.calls_per_poll
        assert spent <= budget.remaining * safety + 1e-6
