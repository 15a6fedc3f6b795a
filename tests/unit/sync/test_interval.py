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
