#!/usr/bin/env python3
"""mixtable.py RESULTS "RATES": the tables of scripts/loadmix.sh from its "round key value" lines.

Throughput is the median over the rounds of each round's ratio to the bare responder (measured in
the same round); everything else is the median of the rounds, with the range when they differ.
"""
import collections
import statistics
import sys

rows = collections.defaultdict(dict)  # key -> {round: value}
for line in open(sys.argv[1]):
    rnd, key, val = line.split()
    rows[key][int(rnd)] = float(val)
rates = [int(r) for r in sys.argv[2].split()]
rounds = sorted({r for v in rows.values() for r in v})


def vals(key):
    return [rows[key][r] for r in rounds if r in rows.get(key, {})]


def ratios(num, den):
    return [rows[num][r] / rows[den][r] for r in rounds
            if r in rows.get(num, {}) and r in rows.get(den, {}) and rows[den][r]]


def show(xs, fmt, unit=""):
    if not xs:
        return ""
    lo, mid, hi = min(xs), statistics.median(xs), max(xs)
    s = fmt.format(mid) + unit
    if fmt.format(lo) != fmt.format(hi):
        s += f" ({fmt.format(lo)}-{fmt.format(hi)})"
    return s


def ratio(num, den):
    return show(ratios(num, den), "{:.2f}")


def mb(key):
    return show([v / 1024 for v in vals(key)], "{:.0f}", " MB")


def memory(key):
    rss, hwm = mb(key + ".rss_kb"), show([v / 1024 for v in vals(key + ".hwm_kb")], "{:.0f}")
    return f"{rss} (peak {hwm})" if rss else ""


def secs(key):
    return show([v / 1000 for v in vals(key)], "{:.2f}", " s")


def us(key):
    return show(vals(key), "{:.1f}", " µs")


def qps(key):
    return show(vals(key), "{:,.0f}")


def ms(key):
    s = show(vals(key), "{:.2f}", " ms")
    held = vals(key + ".held")
    if held and min(held) < 0.95:  # the server did not keep up with the fixed rate
        s += f" (rate not held: {min(held):.0%} answered)"
    return s


r5 = rates[0] if rates else None
print(f"\n{len(rounds)} round(s). Server pinned to CPU 1, dnsperf to CPU 0; journal on = its default "
      "(a row per device, name and minute, and a log line per blocked lookup); list: blocklist-1m.domains.\n")
print(f"| server | allowed, log on | blocked, log on | log off (allowed / blocked) | p99 at {r5:,} qps "
      "| cache-miss qps | resident with list (peak) | ready |")
print("|---|---|---|---|---|---|---|---|")
print(f"| bare miekg/dns responder | 1.00 | 1.00 | | {ms(f'limit.pin.p99.{r5}')} | | {memory('limit')} "
      f"| {secs('limit.ready_ms')} |")
if vals("unbound.miss"):
    print(f"| Unbound (forwarding only, no list) | | | | | {qps('unbound.miss')} | {memory('unbound')} "
          f"| {secs('unbound.ready_ms')} |")
print(f"| **Hearth** | {ratio('hearth.on.pin.allowed', 'limit.pin.allowed')} "
      f"| {ratio('hearth.on.pin.blocked', 'limit.pin.blocked')} "
      f"| {ratio('hearth.off.pin.allowed', 'limit.pin.allowed')} / {ratio('hearth.off.pin.blocked', 'limit.pin.blocked')} "
      f"| {ms(f'hearth.pin.p99.{r5}')} | {qps('hearth.miss')} | {memory('hearth')} | {secs('hearth.ready_ms')} |")

print("\n| against the issue's targets | responder (or Unbound) | Hearth | Hearth / reference | target |")
print("|---|---|---|---|---|")
for kind in ("allowed", "blocked"):
    print(f"| {kind}, journal on, pinned, qps | {qps(f'limit.pin.{kind}')} | {qps(f'hearth.on.pin.{kind}')} "
          f"| {ratio(f'hearth.on.pin.{kind}', f'limit.pin.{kind}')} | ≥ 0.8 |")
for r in rates:
    print(f"| p99 at {r:,} qps (allowed names) | {ms(f'limit.pin.p99.{r}')} | {ms(f'hearth.pin.p99.{r}')} "
          f"| {ratio(f'hearth.pin.p99.{r}', f'limit.pin.p99.{r}')} | ≤ 1.5 |")
for kind in ("allowed", "blocked"):
    print(f"| {kind}, both cores unpinned, qps | {qps(f'limit.all.{kind}')} | {qps(f'hearth.on.all.{kind}')} "
          f"| {ratio(f'hearth.on.all.{kind}', f'limit.all.{kind}')} | |")
    print(f"| {kind}: both cores / one core | {ratio(f'limit.all.{kind}', f'limit.pin.{kind}')} "
          f"| {ratio(f'hearth.on.all.{kind}', f'hearth.on.pin.{kind}')} | | Hearth ≥ 1.7 |")
    print(f"| {kind}: server CPU per query, one core / both cores | {us(f'limit.pin.{kind}.cpu_us')} / {us(f'limit.all.{kind}.cpu_us')} "
          f"| {us(f'hearth.on.pin.{kind}.cpu_us')} / {us(f'hearth.on.all.{kind}.cpu_us')} "
          f"| {ratio(f'hearth.on.all.{kind}.cpu_us', f'hearth.on.pin.{kind}.cpu_us')} (both / one) | ≈ 1.0 |")
if vals("unbound.miss"):
    print(f"| cache-miss qps (Unbound's, same upstream) | {qps('unbound.miss')} | {qps('hearth.miss')} "
          f"| {ratio('hearth.miss', 'unbound.miss')} | ≥ 1.0 |")
else:
    print(f"| cache-miss qps (no Unbound here) | | {qps('hearth.miss')} | | ≥ Unbound's |")
print(f"| resident after the load, 1M list (peak) | {memory('limit')} | {memory('hearth')} | | |")
print(f"| resident idle after ready, 1M list (peak) | | {memory('hearth.idle')} | | |")
if vals("union.on.ready_ms"):
    print(f"| 1.2M union, journal and dashboard on: resident (peak) | | {memory('union.on')} | | ≤ 24 MB (≤ 48) |")
    print(f"| 1.2M union: ready | | {secs('union.on.ready_ms')} | | ≤ 0.5 s |")
    print(f"| 1.2M union with a family's policy: resident (peak) | | {memory('union.family')} | | |")
    print(f"| 1.2M union with a family's policy: ready | | {secs('union.family.ready_ms')} "
          f"| {ratio('union.family.ready_ms', 'union.on.ready_ms')} | ≈ 1.0 |")
