"""Siting solvers over arrays: hand-made cases, brute-force agreement, spopt agreement, errors."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.siting import (
    SitingResult,
    brute_force_mclp,
    exact_mclp,
    greedy_mclp,
    lscp,
    sites_for_unit_target,
    swap_improve,
)
from geo._errors import InfeasibleError, InputError

# --------------------------------------------------------------------------- fixtures


def _matrix(sets: list[set[int]], n_demand: int) -> sp.csr_matrix:
    dense = np.zeros((len(sets), n_demand), dtype=bool)
    for j, s in enumerate(sets):
        dense[j, sorted(s)] = True
    return sp.csr_matrix(dense)


@pytest.fixture
def trap() -> tuple[sp.csr_matrix, np.ndarray]:
    """Six unit-weight points; greedy takes A (4 points) then adds 1; B+C cover all 6.

    A = {1, 2, 4, 5}, B = {0, 1, 2}, C = {3, 4, 5}.
    """
    return _matrix([{1, 2, 4, 5}, {0, 1, 2}, {3, 4, 5}], 6), np.ones(6)


def _random_instance(seed: int, n_cand: int = 12, n_dem: int = 40, density: float = 0.15):
    rng = np.random.default_rng(seed)
    cov = sp.csr_matrix(rng.random((n_cand, n_dem)) < density)
    weights = rng.integers(1, 100, n_dem).astype(float)
    already = rng.random(n_dem) < 0.2
    groups = np.array([f"镇{j % 4}" for j in range(n_cand)])  # 4 townships of 3 candidates
    return cov, weights, already, groups


CASES = [
    pytest.param(
        seed, k, use_already, use_groups, id=f"s{seed}-k{k}-ac{use_already:d}-g{use_groups:d}"
    )
    for seed in (1, 2, 3)
    for k in (1, 2, 3, 4)
    for use_already in (False, True)
    for use_groups in (False, True)
]


# --------------------------------------------------------------------------- hand-made cases


def test_greedy_on_trap_picks_largest_then_lowest_index(trap):
    cov, w = trap
    r = greedy_mclp(cov, w, k=2)
    assert r.chosen == (0, 1)  # A (4 points), then B and C tie at +1: lowest index
    assert r.marginal_gain == (4.0, 1.0)
    assert r.objective == 5.0
    assert r.share_after == pytest.approx(5 / 6)
    assert r.solver == "greedy" and math.isnan(r.gap)
    assert r.bound >= 6.0  # submodular bound is above the optimum


def test_exact_and_swap_find_the_pair_greedy_misses(trap):
    cov, w = trap
    e = exact_mclp(cov, w, k=2)
    assert set(e.chosen) == {1, 2} and e.objective == 6.0
    assert e.status == "optimal" and e.solver == "highs"
    assert e.gap <= 1e-4
    s = swap_improve(cov, w, greedy_mclp(cov, w, k=2))
    assert set(s.chosen) == {1, 2} and s.objective == 6.0
    assert s.solver == "greedy+swap"
    assert sum(s.marginal_gain) == s.objective - s.covered_before


def test_already_covered_counts_in_objective_not_in_gain(trap):
    cov, w = trap
    already = np.array([False, True, True, False, False, False])  # points 1, 2 served today
    r = greedy_mclp(cov, w, k=1, already_covered=already)
    # A now adds {4, 5} = 2, B adds {0} = 1, C adds {3, 4, 5} = 3
    assert r.chosen == (2,)
    assert r.marginal_gain == (3.0,)
    assert r.covered_before == 2.0 and r.objective == 5.0
    assert r.share_before == pytest.approx(2 / 6)
    assert exact_mclp(cov, w, k=1, already_covered=already).objective == 5.0


def test_forbidden_site_is_never_chosen(trap):
    cov, w = trap
    for solve in (greedy_mclp, exact_mclp, brute_force_mclp):
        r = solve(cov, w, k=2, forbidden=[2])
        assert 2 not in r.chosen
        assert r.objective == 5.0  # best pair without C: A + B


def test_groups_cap_and_must_group(trap):
    cov, w = trap
    groups = ["东湖", "东湖", "江岸"]  # A and B in the same township
    for solve in (greedy_mclp, exact_mclp, brute_force_mclp):
        r = solve(cov, w, k=2, groups=groups)
        assert sorted(r.chosen) in ([0, 2], [1, 2])  # one per township
    # a must group whose only site adds nothing new still gets its site
    cov2 = _matrix([{0, 1}, {2}, {0}], 3)
    for solve in (greedy_mclp, exact_mclp, brute_force_mclp):
        r = solve(cov2, np.ones(3), k=2, groups=["a", "b", "c"], must_groups=["c"])
        assert 2 in r.chosen and len(r.chosen) == 2
        assert r.objective == 2.0


def test_fewer_useful_sites_than_k_is_reported():
    cov = _matrix([{0}, {0}, {1}], 2)
    for solve in (greedy_mclp, exact_mclp, brute_force_mclp):
        r = solve(cov, np.ones(2), k=3)
        assert len(r.chosen) == 2 and r.objective == 2.0
        assert any("only 2 of k=3" in n for n in r.notes)


def test_exact_drops_unreachable_demand_and_says_so():
    cov = _matrix([{0}, {1}], 4)  # points 2 and 3 reached by nobody
    r = exact_mclp(cov, np.array([1.0, 2.0, 3.0, 4.0]), k=2)
    assert r.objective == 3.0
    assert r.share_after == pytest.approx(0.3)
    assert any("2 demand point(s) with weight 7" in n for n in r.notes)


def test_inputs_are_not_mutated_and_result_is_frozen(trap):
    cov, w = trap
    already = np.zeros(6, dtype=bool)
    before = (cov.toarray().copy(), w.copy(), already.copy())
    r = exact_mclp(cov, w, k=2, already_covered=already)
    swap_improve(cov, w, greedy_mclp(cov, w, k=2, already_covered=already), already_covered=already)
    assert np.array_equal(cov.toarray(), before[0])
    assert np.array_equal(w, before[1]) and np.array_equal(already, before[2])
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.objective = 0.0  # type: ignore[misc]
    assert isinstance(r, SitingResult)


def test_dense_input_equals_sparse_input(trap):
    cov, w = trap
    assert greedy_mclp(cov.toarray(), w, k=2).chosen == greedy_mclp(cov, w, k=2).chosen


# --------------------------------------------------------------------------- random instances


def _solve_all(seed, k, use_already, use_groups):
    cov, w, already, groups = _random_instance(seed)
    kw = {
        "already_covered": already if use_already else None,
        "groups": groups if use_groups else None,
    }
    brute = brute_force_mclp(cov, w, k=k, **kw)
    exact = exact_mclp(cov, w, k=k, **kw)
    greedy = greedy_mclp(cov, w, k=k, **kw)
    swapped = swap_improve(cov, w, greedy, **kw)
    return groups, brute, exact, greedy, swapped


@pytest.mark.parametrize(("seed", "k", "use_already", "use_groups"), CASES)
def test_exact_equals_brute_force_and_heuristics_keep_their_guarantees(
    seed, k, use_already, use_groups
):
    groups, brute, exact, greedy, swapped = _solve_all(seed, k, use_already, use_groups)
    assert exact.objective == pytest.approx(brute.objective)
    assert exact.status == "optimal"
    gained_opt = exact.objective - exact.covered_before
    gained_greedy = greedy.objective - greedy.covered_before
    # (1 - 1/e) for a plain budget of k sites; 1/2 under a partition matroid (one per township)
    guarantee = 0.5 if use_groups else 1 - 1 / math.e
    assert gained_greedy >= guarantee * gained_opt - 1e-9
    assert exact.objective >= swapped.objective >= greedy.objective
    assert greedy.bound >= exact.objective - 1e-9
    for r in (brute, exact, greedy, swapped):
        assert sum(r.marginal_gain) == pytest.approx(r.objective - r.covered_before)
        if use_groups:
            assert len({groups[j] for j in r.chosen}) == len(r.chosen)


def test_greedy_plus_swap_is_within_one_percent_of_exact_on_average():
    # per instance there is no such guarantee: with one site per township and k equal to the
    # number of townships, the optimum can differ from greedy in every township (a k-swap)
    ratios = [
        swapped.objective / exact.objective
        for *_, exact, _, swapped in (_solve_all(*case.values) for case in CASES)
    ]
    assert np.mean(ratios) >= 0.99
    assert min(ratios) >= 0.5


def test_exact_matches_spopt_mclp():
    pulp = pytest.importorskip("pulp")
    locate = pytest.importorskip("spopt.locate")
    solver = pulp.HiGHS(msg=False) if pulp.HiGHS().available() else pulp.PULP_CBC_CMD(msg=False)
    for seed in (11, 12):
        cov, w, _, _ = _random_instance(seed, n_cand=15, n_dem=60, density=0.1)
        cost = np.where(cov.T.toarray(), 0.0, 2.0)  # (demand, candidates)
        for k in (2, 5):
            model = locate.MCLP.from_cost_matrix(cost, w, service_radius=1, p_facilities=k)
            model = model.solve(solver)
            theirs = float(pulp.value(model.problem.objective))
            assert exact_mclp(cov, w, k=k).objective == pytest.approx(theirs)


# --------------------------------------------------------------------------- LSCP


def test_lscp_min_count_equals_brute_force():
    cov, w, _, _ = _random_instance(5, n_cand=10, n_dem=30, density=0.2)
    reach = cov.toarray().any(axis=0)
    reachable_share = w[reach].sum() / w.sum()
    for min_share in (0.3, 0.6, 0.95 * reachable_share):
        r = lscp(cov, w, min_share=min_share)
        assert r.share_after >= min_share - 1e-9
        k_min = next(
            k for k in range(1, 11) if brute_force_mclp(cov, w, k=k).share_after >= min_share - 1e-9
        )
        assert len(r.chosen) == k_min
        # among the smallest sets it covers the most
        assert r.objective == pytest.approx(brute_force_mclp(cov, w, k=k_min).objective)


def test_lscp_already_met_needs_no_site(trap):
    cov, w = trap
    already = np.array([True, True, True, True, False, False])
    r = lscp(cov, w, min_share=0.5, already_covered=already)
    assert r.chosen == () and r.share_after == pytest.approx(4 / 6)


def test_lscp_unreachable_share_raises_with_best_share():
    cov = _matrix([{0}, {1}], 4)
    w = np.array([1.0, 2.0, 3.0, 4.0])  # at most (1 + 2) / 10 = 30 % reachable
    with pytest.raises(InfeasibleError, match=r"at most 30\.0%.*2 demand point\(s\) carrying 7"):
        lscp(cov, w, min_share=0.5)
    assert len(lscp(cov, w, min_share=0.3).chosen) == 2


# --------------------------------------------------------------------------- errors


def test_k_larger_than_candidates_raises(trap):
    cov, w = trap
    with pytest.raises(InputError, match=r"k=4 but only 3 candidates; lower k or add candidates"):
        greedy_mclp(cov, w, k=4)
    with pytest.raises(InputError, match=r"k=0"):
        exact_mclp(cov, w, k=0)


def test_empty_candidates_raises():
    with pytest.raises(InputError, match="no candidate sites"):
        greedy_mclp(sp.csr_matrix((0, 5), dtype=bool), np.ones(5), k=1)


@pytest.mark.parametrize("bad", [-1.0, np.nan])
def test_bad_weight_names_first_index(trap, bad):
    cov, w = trap
    w = w.copy()
    w[3] = bad
    with pytest.raises(InputError, match=r"weights\[3\]"):
        exact_mclp(cov, w, k=1)


def test_shape_mismatch_hints_transpose(trap):
    cov, _ = trap
    with pytest.raises(InputError, match="transposed"):
        greedy_mclp(cov, np.ones(3), k=1)


def test_unknown_must_group_and_too_many_must_groups(trap):
    cov, w = trap
    with pytest.raises(InputError, match="'汉阳'"):
        greedy_mclp(cov, w, k=1, groups=["a", "b", "c"], must_groups=["汉阳"])
    with pytest.raises(InfeasibleError, match="raise k to at least 2"):
        exact_mclp(cov, w, k=1, groups=["a", "b", "c"], must_groups=["a", "b"])


def test_brute_force_refuses_huge_enumeration():
    cov = sp.csr_matrix(np.eye(60, dtype=bool))
    with pytest.raises(InputError, match="exact_mclp"):
        brute_force_mclp(cov, np.ones(60), k=10)


# --------------------------------------------------------------------------- township target


def test_unit_target_five_townships():
    towns = ["T1", "T2", "T3", "T4", "T5"]
    covered = ["T1"]
    # candidates:      0     1     2     3     4
    unit_of_candidate = ["T2", "T2", "T3", "T4", "T1"]
    score = [5.0, 9.0, 7.0, 3.0, 100.0]
    # 60 % of 5 = 3 covered townships -> 2 more: T2 (best site 1, score 9), T3 (site 2, score 7)
    r = sites_for_unit_target(
        unit_of_candidate, covered, towns, target_share=0.6, candidate_score=score
    )
    assert r.chosen == (1, 2)
    assert r.covered_before == 1 and r.covered_after == 3
    assert r.share_after == pytest.approx(0.6)
    # "more than 60 %" needs a fourth: T4 via site 3
    r2 = sites_for_unit_target(
        unit_of_candidate, covered, towns, target_share=0.6, comparator=">", candidate_score=score
    )
    assert r2.chosen == (1, 2, 3)
    # 100 % is impossible: T5 has no candidate
    with pytest.raises(InfeasibleError, match=r"1 uncovered unit\(s\) have none: T5"):
        sites_for_unit_target(
            unit_of_candidate, covered, towns, target_share=1.0, candidate_score=score
        )
    # already met
    r3 = sites_for_unit_target(
        unit_of_candidate, covered, towns, target_share=0.2, candidate_score=score
    )
    assert r3.chosen == () and r3.share_after == pytest.approx(0.2)


def test_unit_target_float_rate_does_not_round_up():
    towns = [f"T{i}" for i in range(10)]
    r = sites_for_unit_target(
        towns, towns[:8], towns, target_share=0.9, candidate_score=np.arange(10.0)
    )
    assert r.chosen == (9,)  # 0.9 * 10 = 9.000000000000002 must need 9, not 10


def test_unit_target_rejects_unknown_unit():
    with pytest.raises(InputError, match=r"unit_of_candidate\[1\] = 'X'"):
        sites_for_unit_target(["T1", "X"], [], ["T1"], target_share=1.0, candidate_score=[1, 2])


def test_time_limit_returns_the_better_solution_with_a_valid_bound():
    # a dense non-geometric instance whose LP relaxation is weak: HiGHS cannot finish in 1 ms
    rng = np.random.default_rng(0)
    cov = sp.csr_matrix(rng.random((150, 1500)) < 0.04)
    w = rng.integers(1, 100, 1500).astype(float)
    r = exact_mclp(cov, w, k=10, time_limit_s=0.001)
    greedy = greedy_mclp(cov, w, k=10)
    assert r.status == "time_limit"
    assert len(r.chosen) == 10
    assert r.objective >= greedy.objective
    assert r.bound >= r.objective
    assert r.gap == pytest.approx((r.bound - r.objective) / (r.objective - r.covered_before))
    assert any("time_limit_s=0.001" in n for n in r.notes)
    with pytest.raises(InputError, match="time_limit_s=0"):
        exact_mclp(cov, w, k=10, time_limit_s=0)
