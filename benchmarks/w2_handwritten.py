"""W2's baseline: the 东营 rules (regulations/dongying/dongying-2018.yb and the 山东 settlement model it
adopts) written by hand in numpy int64 fen + pyarrow, reading and writing the same Parquet files as
``yibao settle --batch``. benchmarks/bench_batch.py times both and checks that they agree row for row.

Hand-written means: only what the W2 generator's data exercises (职工/居民; 普通门诊 11, 门诊慢特病 14,
普通住院 21, 外伤住院 22; hospital levels 一级–三级; the flags 转院, 急诊, 非定点; no person flags, no
cuminfo, no extension fields, every row valid and a person's rows together in time order), with no input
checks. It is the limit the IR-driven path is measured against, not a second implementation of yibao.
Every number is the regulation's, cited by article; amounts are fen, rates whole percents.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# 第三十条: 住院起付标准 by level 一级/二级/三级 (元 → fen)
INPATIENT_DEDUCTIBLE = np.array([20_000, 50_000, 80_000], np.int64)
# 第三十一条: 住院支付比例 [险种][level] (职工, 居民) and 乙类先行自付比例 by 险种
INPATIENT_RATIO = np.array([[95, 90, 85], [90, 75, 60]], np.int64)
INPATIENT_B_SELFPAY = np.array([10, 20], np.int64)
# 第三十二条: 门诊慢性病 quarterly deductible 150元; ratios as 第三十一条
CHRONIC_DEDUCTIBLE = 15_000
# 第三十三条: 普通门诊 ratio 职工 80%/70% (一级/二级; 三级 excluded); 居民 待定 (every 居民 outpatient row
# either is excluded (not 一级) or fails on the open value); 职工 乙类先行自付 10%; yearly deductible 400元
# (职工) / 0元; yearly limit 1000元 / 200元
OUTPATIENT_RATIO_EMPLOYEE = np.array([80, 70, 0], np.int64)
OUTPATIENT_B_SELFPAY_EMPLOYEE = 10
OUTPATIENT_DEDUCTIBLE = np.array([40_000, 0], np.int64)
OUTPATIENT_LIMIT = np.array([100_000, 20_000], np.int64)
# 第二十八条: 统筹基金年度限额 by 险种 20万元 / 16万元 (住院, 门诊慢性病, 职工普通门诊 combined)
POOLED_LIMIT = np.array([20_000_000, 16_000_000], np.int64)

MONEY = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
         "act_pay_dedc", "hifp_pay")
ZERO_FUNDS = ("cvlserv_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")


def _fen(column) -> np.ndarray:
    """"1234.56" → 123456: the generator always writes two decimals."""
    return pc.cast(pc.replace_substring(column, ".", ""), pa.int64()).to_numpy()


def _codes(column, codes: list) -> np.ndarray:
    """Index of each value in ``codes``."""
    return pc.index_in(column, value_set=pa.array(codes)).to_numpy(zero_copy_only=False)


def _half_up(numerator: np.ndarray, percent) -> np.ndarray:
    """四舍五入(numerator × percent%) for numerator ≥ 0."""
    return (2 * numerator * percent + 100) // 200


def _decimal(fen: np.ndarray, scale: int, valid: np.ndarray):
    wide = np.empty((len(fen), 2), np.int64)
    wide[:, 0] = fen
    wide[:, 1] = fen >> 63
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    return pa.Array.from_buffers(pa.decimal128(18, scale), len(fen), [bitmap, pa.py_buffer(wide.tobytes())])


def settle(source: Path, target: Path, sha256: str) -> int:
    """Settle the W2 file ``source`` into ``target``; returns the row count."""
    table = pq.read_table(source)
    n = table.num_rows
    psn = table.column("psn_no")
    first = np.ones(n, bool)
    first[1:] = pc.not_equal(psn.slice(1), psn.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    person = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    k = np.arange(n) - starts[person]
    persons = len(starts)

    ins = _codes(table.column("insutype"), ["310", "390"])          # 0 职工, 1 居民
    level = _codes(table.column("dedc_hosp_lv"), ["1", "2", "3"])   # 0 一级 .. 2 三级
    med = _codes(table.column("med_type"), ["11", "14", "21", "22"])
    outpatient, chronic, inpatient = med == 0, med == 1, med >= 2
    date = pc.strptime(table.column("setl_time"), "%Y-%m-%d", "s")
    month = pc.month(date).to_numpy()
    quarter = pc.year(date).to_numpy() * 4 + (month - 1) // 3
    flags = table.column("flags")
    parents = pc.list_parent_indices(flags).to_numpy()
    flat = pc.list_flatten(flags)
    transfer, emergency, non_network = (np.zeros(n, bool) for _ in range(3))
    for mask, name in ((transfer, "转院"), (emergency, "急诊"), (non_network, "非定点")):
        mask[parents[pc.equal(flat, name).to_numpy(zero_copy_only=False)]] = True

    a, b, c = _fen(table.column("fee_01")), _fen(table.column("fee_02")), _fen(table.column("fee_03"))
    total = a + b + c  # overlmt_selfpay is 0 in W2

    # 第三十三条 (职工 普通门诊 only at 一级/二级; 居民 only at 一级), 第三十八条 (非定点 unless 急诊)
    excluded33 = outpatient & (((ins == 0) & (level == 2)) | ((ins == 1) & (level != 0)))
    excluded38 = ~excluded33 & non_network & ~emergency
    excluded = excluded33 | excluded38
    error = ~excluded & outpatient & (ins == 1)  # 第三十三条: 居民 普通门诊 ratio 待定 → YR01

    b_selfpay = np.where(outpatient, OUTPATIENT_B_SELFPAY_EMPLOYEE, INPATIENT_B_SELFPAY[ins])
    preselfpay = _half_up(b, b_selfpay)
    scope = a + b - preselfpay
    ratio = np.where(outpatient, OUTPATIENT_RATIO_EMPLOYEE[level], INPATIENT_RATIO[ins, level])
    counted = inpatient | chronic | ((ins == 0) & outpatient)  # 第二十八条
    inpatient_standard = INPATIENT_DEDUCTIBLE[level]

    # counters per person (all W2 dates fall in one year: the yearly ones never reset)
    admissions = np.zeros(persons, np.int64)     # 本年计入住院次数 (第三十条)
    last_standard = np.zeros(persons, np.int64)  # 上次住院起付标准
    last_free = np.zeros(persons, bool)          # 上次住院免起付
    chronic_paid = np.zeros(persons, np.int64)   # 本季慢病起付已付 (第三十二条)
    chronic_key = np.full(persons, -1, np.int64)
    outpatient_dedc = np.zeros(persons, np.int64)  # 本年门诊起付已付 (第三十三条)
    pooled = np.zeros(persons, np.int64)           # 本年合并限额已付 (第二十八条)
    outpatient_paid = np.zeros(persons, np.int64)  # 本年普通门诊已付

    act = np.zeros(n, np.int64)
    hifp = np.zeros(n, np.int64)
    order = np.argsort(k, kind="stable")
    bounds = np.searchsorted(k[order], np.arange(k.max() + 2))
    for wave in range(k.max() + 1):
        rows = order[bounds[wave]:bounds[wave + 1]]
        p = person[rows]
        inp, chr_, out, tr = inpatient[rows], chronic[rows], outpatient[rows], transfer[rows]
        standard = inpatient_standard[rows]
        free = admissions[p] >= 2
        this_standard = np.where(free, 0, standard)
        inpatient_dedc = np.where(tr, np.where(last_free[p], 0, np.maximum(standard - last_standard[p], 0)),
                                  this_standard)
        held = np.where(chronic_key[p] == quarter[rows], chronic_paid[p], 0)
        chronic_dedc = np.maximum(CHRONIC_DEDUCTIBLE - held, 0)
        outpatient_due = np.maximum(OUTPATIENT_DEDUCTIBLE[ins[rows]] - outpatient_dedc[p], 0)
        due = np.where(inp, inpatient_dedc, np.where(chr_, chronic_dedc, outpatient_due))
        s = scope[rows]
        paid_dedc = np.minimum(due, s)
        proportional = _half_up(s - paid_dedc, ratio[rows])
        remaining = np.maximum(POOLED_LIMIT[ins[rows]] - pooled[p], 0)
        pooled_room = np.where(counted[rows], remaining, proportional)
        outpatient_room = np.where(out, np.maximum(OUTPATIENT_LIMIT[ins[rows]] - outpatient_paid[p], 0), proportional)
        fund = np.minimum(np.minimum(proportional, pooled_room), outpatient_room)
        act[rows], hifp[rows] = paid_dedc, fund
        # counters move only for settled rows
        ok = ~excluded[rows] & ~error[rows]
        q, pk = p[ok], ok
        admissions[q] += (inp & ~tr & (s >= this_standard))[pk]
        last_standard[q] = np.where(inp & tr, np.maximum(standard, last_standard[p]),
                                    np.where(inp, this_standard, last_standard[p]))[pk]
        last_free[q] = np.where(inp & ~tr, free, last_free[p])[pk]
        chronic_paid[q] = (held + np.where(chr_, paid_dedc, 0))[pk]
        chronic_key[q] = quarter[rows][pk]
        outpatient_dedc[q] += np.where(out, paid_dedc, 0)[pk]
        pooled[q] += np.where(counted[rows], fund, 0)[pk]
        outpatient_paid[q] += np.where(out, fund, 0)[pk]

    settled = ~excluded & ~error
    zero = np.zeros(n, np.int64)
    money = {"medfee_sumamt": total, "fulamt_ownpay_amt": c, "overlmt_selfpay": zero,
             "preselfpay_amt": np.where(settled, preselfpay, 0), "inscp_scp_amt": np.where(settled, scope, 0),
             "act_pay_dedc": np.where(settled, act, 0), "hifp_pay": np.where(settled, hifp, 0)}
    valid = ~error
    columns = {f: _decimal(money[f], 2, valid) for f in MONEY}
    columns["pool_prop_selfpay"] = _decimal(np.where(settled, ratio * 100, 0), 4, valid)
    for f in ZERO_FUNDS:
        columns[f] = _decimal(zero, 2, valid)
    columns["fund_pay_sumamt"] = columns["hifp_pay"]
    columns["psn_part_amt"] = _decimal(total - money["hifp_pay"], 2, valid)
    # 第十九条 and the settlement model's account step: W2 gives no acct_balc, so the account pays nothing
    # (例 "未给出个人账户余额的，不从个人账户支付"): all the patient's share is cash, the balance 0
    columns["acct_pay"] = columns["balc"] = _decimal(zero, 2, valid)
    columns["psn_cash_pay"] = columns["psn_part_amt"]
    columns["ir_sha256"] = pa.array(np.where(valid, sha256, None), pa.string())
    columns["excluded"] = pa.array(np.where(excluded33, "第三十三条", np.where(excluded38, "第三十八条", None)), pa.string())
    columns["error_code"] = pa.array(np.where(error, "YR01", None), pa.string())
    columns["error"] = pa.array(np.where(error, "第三十三条：居民普通门诊的乙类先行自付比例和支付比例待定", None), pa.string())
    order_out = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                 "act_pay_dedc", "hifp_pay", "pool_prop_selfpay", "cvlserv_pay", "hifmi_pay", "hifob_pay",
                 "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "balc",
                 "ir_sha256", "excluded", "error_code", "error")
    for name in order_out:
        table = table.append_column(name, columns[name])
    pq.write_table(table, target, row_group_size=65_536)
    return n


if __name__ == "__main__":  # python benchmarks/w2_handwritten.py IN.parquet OUT.parquet IR_SHA256
    settle(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
