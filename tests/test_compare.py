"""``yibao compare``: one case or a claims file under several cities, with the deciding articles."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crosscity_support import bundled_engine, bundled_regions
from yibao.cli import main
from yibao.crosscity.compare import compare_case, move_dates, read_claims, compare_claims
import datetime as dt

ROOT = Path(__file__).resolve().parents[1]
FOUR = "东营,济宁,烟台,临沂"
NAMES = {code: group[0]["regulation"]["region_name"] for code, group in bundled_regions().items()}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _case(insutype="310", psn_type="1101", setl_time="2020-06-10", level="3", fees=None, flags=()):
    return {"person": {"psn_no": "P1", "insutype": insutype, "psn_type": psn_type, "brdy": "1975-06-01",
                       "gend": "1", "flags": list(flags)},
            "encounters": [{"mdtrt_id": "E1", "med_type": "21", "setl_time": setl_time, "dedc_hosp_lv": level,
                            "fees": fees or {"01": "10000.00"}}]}


def _cells(case, date=None):
    compared = compare_case(bundled_engine(), case, list(NAMES), NAMES, date)
    return compared["encounters"][0]["cells"]


def test_one_case_shows_all_four_cities_side_by_side(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_case(insutype="390", psn_type="1501")), encoding="utf-8")
    result = run("compare", str(path), "--regions", FOUR)
    assert result.exit_code == 0, result.stdout
    header = result.stdout.splitlines()[1]
    for city in ("东营市", "济宁市", "烟台市", "临沂市"):
        assert city in header
    for row in ("基金支付", "个人负担", "起付线", "支付比例", "大额补助"):
        assert row in result.stdout


def test_values_cite_their_articles_and_open_values_show_as_open():
    cells = _cells(_case())  # an employee, 2020-06-10, 三级, 10000 元 甲类
    dongying = cells["370500"]
    # 第三十条 三级 800，第三十一条 职工三级 85%：(10000 − 800) × 85% = 7820
    assert dongying["values"]["deductible"] == {"value": "800.00", "article": "第三十条"}
    assert dongying["values"]["ratio"] == {"value": "0.8500", "article": "第三十一条"}
    assert dongying["values"]["fund"]["value"] == "7820.00"
    assert dongying["values"]["patient"]["value"] == "2180.00"
    linyi = cells["371300"]  # 临沂 三（三）: the deductible is left to the city's later rule
    assert linyi["status"] == "error" and linyi["code"] == "YR01" and linyi["article"] == "三（三）"
    assert "values" not in linyi  # never a 0 in place of an open value


def test_out_of_force_and_out_of_scope_are_shown_as_such():
    cells = _cells(_case(setl_time="2023-03-01"))
    assert cells["370500"]["code"] == "YR04"  # 东营 2018 办法 ends 2022-12-31 (第七十二条)
    assert cells["370800"]["code"] == "YR04"  # 济宁 2017 办法 ends 2022-12-31 as well
    assert _cells(_case())["370800"]["code"] == "YR05"  # 济宁 第二条: residents only
    resident = _cells(_case(insutype="390", psn_type="1501", setl_time="2024-03-01"))
    assert resident["370600"]["code"] == "YR05" and resident["370600"]["article"] == "二（一）"  # 烟台: employees only


def test_date_moves_the_case_into_force():
    case = _case(setl_time="2023-03-01")
    moved = move_dates(case, dt.date(2019, 3, 1))
    assert moved["encounters"][0]["setl_time"] == "2019-03-01"
    assert moved["person"]["brdy"] == "1971-06-01"  # 4 years earlier: the same age on the encounter
    assert _cells(case, dt.date(2019, 3, 1))["370500"]["values"]["fund"]["value"] == "7820.00"


def test_json_and_csv_give_the_same_data(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_case()), encoding="utf-8")
    as_json = json.loads(run("compare", str(path), "--regions", "东营,临沂", "--json").output)
    cell = as_json["encounters"][0]["cells"]["370500"]
    assert cell["values"]["fund"] == {"value": "7820.00", "article": "第三十一条、第三十条、第二十八条"}
    lines = run("compare", str(path), "--regions", "东营,临沂", "--csv").output.splitlines()
    assert lines[0].startswith("mdtrt_id,setl_time,region")
    assert "E1,2020-06-10,370500,东营市,fund,基金支付,settled,7820.00,第三十一条、第三十条、第二十八条,," in lines
    assert any(line.startswith("E1,2020-06-10,371300,临沂市,fund,基金支付,error,,三（三）,YR01,") for line in lines)


def test_an_unknown_region_is_an_error_listing_the_known_ones(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_case()), encoding="utf-8")
    result = run("compare", str(path), "--regions", "东营,北京")
    assert result.exit_code == 2 and result.stdout == ""
    assert "北京" in result.stderr and "370500 东营市、370600 烟台市、370800 济宁市、371300 临沂市" in result.stderr


def test_a_claims_file_lists_bad_lines_and_still_compares_the_good_ones(tmp_path):
    good = json.dumps(_case())
    unknown_flag = json.dumps(_case(flags=["不存在的标志"]))
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join([good, '{"region": broken', "[1, 2]", unknown_flag, good]) + "\n", encoding="utf-8")
    result = run("compare", str(path), "--regions", "东营,临沂")
    assert result.exit_code == 1
    assert "第 2 行：不是合法的 JSON" in result.stdout and "第 3 行：结算案例应为 JSON 对象" in result.stdout
    assert "第 4 行：东营市：" in result.stdout and "不存在的标志" in result.stdout
    report = json.loads(run("compare", str(path), "--regions", "东营,临沂", "--json").output)
    assert [b["line"] for b in report["bad_lines"]] == [2, 3, 4]
    dongying = report["totals"]["370500"]
    assert dongying["settled"] == 2 and dongying["fund"] == "15640.00" and dongying["patient"] == "4360.00"
    assert report["totals"]["371300"]["errors"] == {"YR01": 2}
    assert [(d["line"], d["mdtrt_id"]) for d in report["differences"]] == [(1, "E1"), (5, "E1")]


def test_a_city_that_refuses_a_case_is_counted_there_only():
    jining_flag = _case(insutype="390", psn_type="1501", flags=["异地居住"])  # 济宁 第三十六条 only
    good, bad = read_claims(json.dumps(jining_flag) + "\n", "claims.jsonl")
    report = compare_claims(bundled_engine(), good, bad, ["370500", "370800"], NAMES)
    assert report["bad_lines"] == []
    assert report["totals"]["370500"]["refused"] == 1 and report["totals"]["370800"]["refused"] == 0
