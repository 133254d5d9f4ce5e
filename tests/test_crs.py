"""geo.crs: GCJ-02/BD-09 transforms, CRS guessing, China test, metric CRS."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod, Transformer

from geo import crs as gc
from geo._errors import InputError

GEOD = Geod(ellps="WGS84")


def _dist_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    _, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(d)


@pytest.fixture(scope="module")
def china_sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240601)
    lon = rng.uniform(75.0, 134.0, 2000)
    lat = rng.uniform(18.0, 53.0, 2000)
    return lon, lat


def test_gcj02_round_trip_below_one_metre(china_sample):
    lon, lat = china_sample
    glon, glat = gc.wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gc.gcj02_to_wgs84(glon, glat)
    assert _dist_m(lon, lat, back_lon, back_lat).max() < 1.0
    # and the offset is real: the forward transform moved every point
    assert _dist_m(lon, lat, glon, glat).min() > 10.0


def test_gcj02_inverse_converges_below_1e7_degrees(china_sample):
    lon, lat = china_sample
    wlon, wlat = gc.gcj02_to_wgs84(lon, lat)
    flon, flat = gc.wgs84_to_gcj02(wlon, wlat)
    assert np.abs(flon - lon).max() < 1e-7
    assert np.abs(flat - lat).max() < 1e-7


def test_bd09_round_trip_below_one_metre(china_sample):
    lon, lat = china_sample
    blon, blat = gc.wgs84_to_bd09(lon, lat)
    back_lon, back_lat = gc.bd09_to_wgs84(blon, blat)
    assert _dist_m(lon, lat, back_lon, back_lat).max() < 1.0
    glon, glat = gc.bd09_to_gcj02(*gc.gcj02_to_bd09(lon, lat))
    assert _dist_m(lon, lat, glon, glat).max() < 0.01


def test_gcj02_offset_in_wuhan_is_a_few_hundred_metres():
    # 江汉路, Wuhan
    lon, lat = 114.2855, 30.5812
    glon, glat = gc.wgs84_to_gcj02(lon, lat)
    d = float(_dist_m(lon, lat, glon, glat))
    assert 300.0 < d < 600.0
    # BD-09 lies a further ~0.0065°/0.006° away (roughly a kilometre)
    blon, blat = gc.gcj02_to_bd09(glon, glat)
    assert 500.0 < float(_dist_m(glon, glat, blon, blat)) < 1500.0


def test_gcj02_matches_an_independent_scalar_implementation():
    fast_geocn_coord = pytest.importorskip("fast_geocn.coord")
    pts = [(114.2855, 30.5812), (116.3975, 39.9087), (121.4737, 31.2304), (87.6168, 43.8256)]
    lon, lat = np.array(pts).T
    glon, glat = gc.wgs84_to_gcj02(lon, lat)
    for k, (x, y) in enumerate(pts):
        ex, ey = fast_geocn_coord.wgs84_to_gcj02(x, y)
        assert glon[k] == pytest.approx(ex, abs=1e-9)
        assert glat[k] == pytest.approx(ey, abs=1e-9)


def test_outside_china_gcj02_equals_wgs84():
    lon = np.array([2.35, -74.0, 139.69])  # Paris, New York, Tokyo
    lat = np.array([48.85, 40.7, 35.69])
    for fwd in (gc.wgs84_to_gcj02, gc.gcj02_to_wgs84):
        x, y = fwd(lon, lat)
        np.testing.assert_array_equal(x, lon)
        np.testing.assert_array_equal(y, lat)


def test_nan_passes_through_and_shapes_must_agree():
    x, y = gc.gcj02_to_wgs84([114.3, np.nan], [30.6, np.nan])
    assert np.isfinite(x[0]) and np.isnan(x[1]) and np.isnan(y[1])
    with pytest.raises(InputError, match="same shape"):
        gc.wgs84_to_gcj02([1.0, 2.0], [1.0])


def test_points_to_wgs84_named_systems():
    lon, lat = np.array([114.2855]), np.array([30.5812])
    for name in ("wgs84", "EPSG:4326", "cgcs2000", "EPSG:4490"):
        x, y = gc.points_to_wgs84(lon, lat, crs=name)
        np.testing.assert_array_equal(x, lon)
        np.testing.assert_array_equal(y, lat)
    x, y = gc.points_to_wgs84(*gc.wgs84_to_gcj02(lon, lat), crs="GCJ-02")
    assert _dist_m(lon, lat, x, y).max() < 1.0
    x, y = gc.points_to_wgs84(*gc.wgs84_to_bd09(lon, lat), crs="百度")
    assert _dist_m(lon, lat, x, y).max() < 1.0
    with pytest.raises(InputError, match="不是可识别的坐标系"):
        gc.points_to_wgs84(lon, lat, crs="mars-ish")


@pytest.mark.parametrize(
    ("epsg", "zone"),
    [(4527, 39), (4526, 38), (4513, 25), (4533, 45), (4497, 19), (4491, 13)],
)
def test_gk_zone_guess_and_transform_back(epsg, zone):
    # a WGS84 point near each zone's central meridian, projected with pyproj itself
    width = 3 if epsg >= 4513 else 6
    cm = zone * width if width == 3 else zone * 6 - 3
    lon, lat = cm + 0.4, 31.0
    to_gk = Transformer.from_crs(4490, epsg, always_xy=True)
    e, n = to_gk.transform(lon, lat)
    assert int(e // 1e6) == zone  # the zone number is written in front of the easting
    assert gc.guess_xy_crs([e], [n]) == f"EPSG:{epsg}"
    back = gc.points_to_wgs84([e], [n], crs=f"EPSG:{epsg}")
    assert float(_dist_m(lon, lat, back[0][0], back[1][0])) < 0.01


def test_gk_without_zone_prefix_needs_the_central_meridian():
    e, n = Transformer.from_crs(4490, 4547, always_xy=True).transform(114.3, 30.6)
    with pytest.raises(InputError, match="EPSG:4547"):
        gc.guess_xy_crs([e, e + 10], [n, n + 10])
    lon, lat = gc.points_to_wgs84([e], [n], crs="EPSG:4547")
    assert float(_dist_m(114.3, 30.6, lon[0], lat[0])) < 0.01


def test_guess_degrees_and_swapped_rows():
    x = np.array([114.3, 30.6, 114.2, np.nan])
    y = np.array([30.6, 114.3, 30.5, 30.0])
    assert gc.guess_xy_crs(x, y) == "wgs84"
    np.testing.assert_array_equal(gc.swapped_xy(x, y, crs="wgs84"), [False, True, False, False])
    # surveyors' X = northing, Y = zone-prefixed easting
    e, n = Transformer.from_crs(4490, 4527, always_xy=True).transform(117.2, 31.8)
    assert gc.guess_xy_crs([n], [e]) == "EPSG:4527"
    np.testing.assert_array_equal(gc.swapped_xy([n, e], [e, n], crs="EPSG:4527"), [True, False])


def test_guess_refuses_garbage_and_empty():
    with pytest.raises(InputError, match="没有可用于判断坐标系的数值坐标"):
        gc.guess_xy_crs([np.nan], [np.nan])
    with pytest.raises(InputError, match="既不是经纬度"):
        gc.guess_xy_crs([5000.0, 6000.0], [40.0, 50.0])


def test_in_china():
    lon = np.array([114.3, 116.4, 87.6, 110.3, 2.35, 140.0, 128.0, 104.0, 121.0, np.nan])
    lat = np.array([30.6, 39.9, 43.8, 20.0, 48.85, 35.0, 30.0, 47.0, 15.0, 30.0])
    #               武汉   北京   乌鲁木齐 海口  Paris  Japan  sea    Mongolia Philippines NaN
    expected = [True, True, True, True, False, False, False, False, False, False]
    np.testing.assert_array_equal(gc.in_china(lon, lat), expected)


def test_local_metric_crs():
    assert gc.local_metric_crs(114.3, 30.6) == "EPSG:32650"
    assert gc.local_metric_crs([87.6, 87.7], [43.8, 43.9]) == "EPSG:32645"
    assert gc.local_metric_crs(-70.6, -33.4) == "EPSG:32719"
    with pytest.raises(InputError, match="no finite"):
        gc.local_metric_crs([np.nan], [np.nan])


def test_normalize_crs():
    assert gc.normalize_crs("GCJ-02") == "gcj02"
    assert gc.normalize_crs(4326) == "wgs84"
    assert gc.normalize_crs("OGC:CRS84") == "wgs84"
    assert gc.normalize_crs("epsg:4490") == "cgcs2000"
    assert gc.normalize_crs("EPSG:32650") == "EPSG:32650"
    assert gc.is_geographic_crs("bd09") and not gc.is_geographic_crs("EPSG:4527")
