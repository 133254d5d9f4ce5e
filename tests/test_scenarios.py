"""Siting scenarios on the Wuhan demo: solvers agree, what-if agrees with a full recount, and
bad input is reported. Needs the reference bundle (street graph build ≈ 10 s, shared)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.coverage import coverage_summary
from analysis.siting import brute_force_mclp, exact_mclp, greedy_mclp, swap_improve
from geo._errors import InfeasibleError, InputError
from servicecircle import scenarios as S

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def problem(wuhan_demo):
    cands = S.generate_candidates(wuhan_demo["run"], wuhan_demo["reach"], max_candidates=500)
    return S.siting_problem(wuhan_demo["run"], wuhan_demo["reach"], wuhan_demo["streets"], cands)


def _weights(p):
    return np.where(p.counted, p.demand["weight"].to_numpy(float), 0.0)


def test_candidates_come_from_uncovered_townships_and_uncovered_homes(problem, wuhan_demo):
    run = wuhan_demo["run"]
    seats = problem.candidates[problem.candidates["source"] == "未覆盖乡镇驻地"]
    uncovered = set(run.townships.loc[~run.townships["covered_elderly_care"], "code"])
    assert len(seats) > 0
    assert set(seats["township_code"]) <= uncovered
    homes = problem.candidates[problem.candidates["source"] == "服务圈外居住点"]
    assert len(homes) == min(len(wuhan_demo["reach"].uncovered), 500 - len(seats))


def test_existing_coverage_matches_the_reach_run(problem, wuhan_demo):
    reached = np.asarray(problem.existing.sum(axis=0)).ravel() > 0
    minutes = wuhan_demo["reach"].demand["minutes"].to_numpy()
    np.testing.assert_array_equal(
        reached & problem.counted, (minutes <= 15 + 1e-9) & problem.counted
    )


def test_before_shares_equal_the_reach_run_every_home_counted(problem, wuhan_demo):
    """A scenario's "before" is the reach run's figure: the same homes in the denominator,
    those off the street network included (counted, never reached)."""
    sc = S.what_if(problem, open_sites=[])
    ours = sc.reach_total.set_index("code")
    theirs = wuhan_demo["reach"].by_county.set_index("code")
    common = ours.index.intersection(theirs.index)
    assert len(common) > 0
    np.testing.assert_array_equal(ours.loc[common, "points"], theirs.loc[common, "points"])
    np.testing.assert_allclose(
        ours.loc[common, "share_before"], theirs.loc[common, "share_points"], atol=1e-12
    )
    assert ours["points"].sum() == len(problem.demand)  # not only the snapped ones


@pytest.mark.parametrize("k", [1, 5, 10])
def test_exact_equals_spopt_and_greedy_swap_within_one_percent(problem, k):
    spopt = pytest.importorskip("spopt.locate")
    import pulp

    w = _weights(problem)
    already = (np.asarray(problem.existing.sum(axis=0)).ravel() > 0) & problem.counted
    exact = exact_mclp(problem.coverage, w, k=k, already_covered=already)
    # spopt on the same matrix, restricted to the demand not yet reached (spopt has no
    # "already covered" input); its objective + the already-reached weight is ours
    free = ~already & (w > 0)
    cost = np.where(problem.coverage[:, free].T.toarray(), 0.0, 2.0)
    model = spopt.MCLP.from_cost_matrix(cost, w[free], service_radius=1.0, p_facilities=k)
    model = model.solve(
        pulp.HiGHS(msg=False)
        if "HiGHS" in pulp.listSolvers(onlyAvailable=True)
        else pulp.PULP_CBC_CMD(msg=False)
    )
    spopt_obj = float(
        w[free] @ (cost[:, [j for j, f in enumerate(model.fac2cli) if f]].min(axis=1) == 0)
    )
    assert exact.status == "optimal"
    assert exact.objective == pytest.approx(w[already].sum() + spopt_obj, rel=1e-9)
    greedy = swap_improve(
        problem.coverage,
        w,
        greedy_mclp(problem.coverage, w, k=k, already_covered=already),
        already_covered=already,
    )
    assert greedy.objective >= 0.99 * exact.objective


def test_best_k_scenario_and_what_if_of_its_sites_agree(problem):
    best = S.best_k(problem, k=5, solver="exact")
    assert len(best.chosen) == 5
    assert best.chosen["gain_weight"].is_monotonic_decreasing
    wi = S.what_if(problem, open_sites=best.chosen["site_id"].tolist())
    pd.testing.assert_frame_equal(wi.reach_total, best.reach_total)
    assert (best.reach_total["reached_after"] >= best.reach_total["reached_before"]).all()


def test_what_if_summary_equals_a_full_recount(problem, wuhan_demo):
    run = wuhan_demo["run"]
    fac = problem.facilities
    close = [fac["facility_id"].iloc[0]]
    open_ids = problem.candidates["site_id"].iloc[[0, 3]].tolist()
    got = S._summary_after(
        problem,
        problem.candidates.set_index("site_id").loc[open_ids, "township_code"].tolist(),
        close,
    )
    kept = run.facilities[~run.facilities["facility_id"].isin(close)]
    kept = kept[kept["layer"] == "elderly_care"]
    new = (
        problem.candidates.set_index("site_id")
        .loc[open_ids, ["township_code"]]
        .reset_index(drop=True)
    )
    new = new.assign(layer="elderly_care", county_code=new["township_code"].str[:6])
    assigned = pd.concat([pd.DataFrame(kept[["layer", "township_code", "county_code"]]), new])
    want = coverage_summary(
        run.region.townships, assigned, run.region.counties, layers=["elderly_care"]
    )
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )


def test_clicked_point_uses_a_local_search_and_matches_the_matrix(problem):
    j = int(np.flatnonzero(problem.candidates["snapped"].to_numpy())[0])
    site = problem.candidates.iloc[[j]][["name", "geometry"]]
    by_click = S.what_if(problem, new_points=gpd.GeoDataFrame(site, crs=4326))
    by_id = S.what_if(problem, open_sites=[problem.candidates["site_id"].iloc[j]])
    pd.testing.assert_frame_equal(by_click.reach_total, by_id.reach_total)


def test_point_off_the_network_is_a_clear_error(problem):
    far = gpd.GeoDataFrame({"name": ["江心"]}, geometry=[Point(114.9, 30.9)], crs=4326)
    with pytest.raises(InputError, match="farther than the snapping distance"):
        S.what_if(problem, new_points=far)


def test_candidate_outside_network_is_reported_and_never_chosen(wuhan_demo):
    run, rr = wuhan_demo["run"], wuhan_demo["reach"]
    cands = S.generate_candidates(run, rr, max_candidates=40)
    cands = pd.concat(
        [
            cands,
            gpd.GeoDataFrame(
                {"site_id": ["FAR"], "name": ["远处"], "source": ["x"]},
                geometry=[Point(114.9, 30.9)],
                crs=4326,
            ),
        ],
        ignore_index=True,
    )
    p = S.siting_problem(run, rr, wuhan_demo["streets"], gpd.GeoDataFrame(cands, crs=4326))
    assert S.unreachable_candidates(p)["site_id"].tolist() == ["FAR"]
    best = S.best_k(p, k=3)
    assert "FAR" not in best.chosen["site_id"].tolist()


def test_bad_siting_requests(problem, wuhan_demo):
    with pytest.raises(InputError, match="candidate list is empty"):
        S.siting_problem(
            wuhan_demo["run"],
            wuhan_demo["reach"],
            wuhan_demo["streets"],
            problem.candidates.iloc[0:0],
        )
    with pytest.raises(InputError, match=r"k=\d+ but only \d+ candidates"):
        S.best_k(problem, k=len(problem.candidates) + 1)
    seats_only = S.siting_problem(
        wuhan_demo["run"],
        wuhan_demo["reach"],
        wuhan_demo["streets"],
        S.generate_candidates(wuhan_demo["run"], wuhan_demo["reach"], methods=("seats",)),
    )
    with pytest.raises(InfeasibleError, match=r"at most \d+(\.\d+)?%"):
        S.fewest_for_share(seats_only, min_share=1.0)
    with pytest.raises(InputError, match="unknown candidate"):
        S.what_if(problem, open_sites=["NOPE"])


def test_exact_solver_equals_brute_force_on_a_small_slice(problem):
    sub = problem.coverage[:12]
    w = _weights(problem)
    for k in (1, 2, 3):
        assert exact_mclp(sub, w, k=k).objective == pytest.approx(
            brute_force_mclp(sub, w, k=k).objective
        )


def test_fewest_for_share_meets_the_share_with_no_site_to_spare(problem):
    w = _weights(problem)
    sc = S.fewest_for_share(problem, min_share=0.4)
    assert sc.status == "optimal"
    assert sc.reach_total["weight_after"].sum() >= 0.4 * w.sum() - 1e-6
    fewer = S.best_k(problem, k=len(sc.chosen) - 1)  # one site fewer cannot reach 40 %
    assert fewer.reach_total["weight_after"].sum() < 0.4 * w.sum()


def test_scenarios_are_saved_reopened_and_compared(problem, tmp_path):
    from geo.workspace import Workspace

    best = S.best_k(problem, k=3)
    wi = S.what_if(problem, open_sites=best.chosen["site_id"].tolist()[:1])
    path = tmp_path / "ws.duckdb"
    with Workspace.open(path) as ws:
        ids = [S.save_scenario(ws, sc) for sc in (best, wi)]
    with Workspace.open(path) as ws:  # a new connection: what a later session sees
        back = [S.load_scenario(ws, i) for i in ids]
    pd.testing.assert_frame_equal(S.compare_scenarios(back), S.compare_scenarios([best, wi]))
    assert back[0].chosen.geometry.iloc[0].distance(best.chosen.geometry.iloc[0]) < 1e-9
    assert back[0].params["k"] == 3


def test_after_layer_covers_the_new_sites(problem):
    best = S.best_k(problem, k=2)
    areas = S.new_site_areas(problem, best)
    assert len(areas) == 2
    for site, area in zip(best.chosen.geometry, areas.geometry, strict=True):
        assert area.contains(site) or area.distance(site) < 0.001  # within ~100 m of its street


def test_grid_candidates_lie_in_the_region_at_the_spacing(wuhan_demo):
    run, rr = wuhan_demo["run"], wuhan_demo["reach"]
    grid = S.generate_candidates(
        run, rr, methods=("grid",), grid_spacing_m=1000, max_candidates=10_000
    )
    area = run.region.county_polygons.geometry.iloc[0]
    assert len(grid) > 10 and grid.within(area).all()
    m = grid.to_crs(grid.estimate_utm_crs())
    from scipy.spatial import cKDTree

    xy = np.column_stack([m.geometry.x, m.geometry.y])
    nearest, _ = cKDTree(xy).query(xy, k=2)
    assert np.allclose(nearest[:, 1], 1000.0, atol=1.0)  # every point's neighbour is 1 km away
    assert set(grid["source"]) == {"1000 m 网格"}


def test_candidates_from_a_file_are_validated_like_registers(wuhan_demo, tmp_path):
    from servicecircle.workflows import RegisterSpec

    path = tmp_path / "候选点.csv"
    pd.DataFrame(
        {
            "名称": ["空置校舍", "党群服务中心", ""],
            "经度": [114.30, 114.29, 114.31],
            "纬度": [30.62, 30.61, 30.60],
        }
    ).to_csv(path, index=False, encoding="gbk")
    cands, report = S.candidates_from_file(
        RegisterSpec(path, layer="elderly_care"), wuhan_demo["region"], source="候选点.csv"
    )
    assert cands["name"].tolist() == ["空置校舍", "党群服务中心"]
    assert set(cands["source"]) == {"候选点.csv"}
    rejected = report[report["action"] == "rejected"]
    assert rejected["row"].tolist() == [4]
    # two points cannot tell WGS84 from GCJ-02/BD-09: said once for the file (row 1)
    others = report[report["action"] != "rejected"]
    assert others["row"].tolist() in ([], [1])
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"名称": ["甲"], "所属街道": ["大智街道"]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match="没有可用的坐标行"):
        S.candidates_from_file(RegisterSpec(bad, layer="elderly_care"), wuhan_demo["region"])
