#!/usr/bin/env python3
"""Writes logdir/: Chrome traces laid out as TensorFlow's and JAX's
profilers lay them out (<run>/plugins/profile/<stamp>/<host>.trace.json.gz),
small and deterministic, following the JSON those profilers write:

  {"displayTimeUnit":"ns","metadata":{"highres-ticks":true},
   "traceEvents":[ ...metadata "M" events..., ...events..., {}]}

- pid is the device, tid the resource (thread or stream), both numbers;
  "M" events name them (process_name, process_sort_index, thread_name,
  thread_sort_index);
- ts and dur in microseconds with fractions (picoseconds / 1e6);
- complete ("X") events; an event without a duration is an instant
  ("i", scope "s":"t"); counters ("C") carry their series in args;
- the array ends with an empty object, so that the writer needs no
  comma bookkeeping.

Usage: python3 make_traces.py  (rewrites logdir/ next to this script)
"""
import gzip
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "logdir")
STAMP = "2026_01_02_03_04_05"


def meta(pid, name, sort, threads):
    ev = [
        {"args": {"name": name}, "name": "process_name", "ph": "M", "pid": pid},
        {"args": {"sort_index": sort}, "name": "process_sort_index", "ph": "M", "pid": pid},
    ]
    for tid, (tname, tsort) in threads.items():
        ev.append({"args": {"name": tname}, "name": "thread_name", "ph": "M", "pid": pid, "tid": tid})
        ev.append({"args": {"sort_index": tsort}, "name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid})
    return ev


def tf_events(steps=4, host_pid=701, gpu_pid=1):
    """A TensorFlow-like step loop: host ops, GPU kernels, a memory counter,
    instants at each step start and an async copy per step."""
    ev = []
    ev += meta(gpu_pid, "/device:GPU:0", 1, {7: ("Stream #7(Compute)", 7), 8: ("Stream #8(MemcpyH2D)", 8)})
    ev += meta(host_pid, "/host:CPU", 2, {1001: ("tf_Compute", 1001), 1002: ("tf_data_iterator_get_next", 1002)})
    t = 1000000.0
    for s in range(steps):
        step = 2500.125
        ev.append({"args": {"step_num": s}, "dur": step, "name": "TrainStep", "ph": "X", "pid": host_pid, "tid": 1001, "ts": t})
        ev.append({"args": {"step_num": s}, "name": "StepMarker", "ph": "i", "pid": host_pid, "s": "t", "tid": 1001, "ts": t + 0.5})
        ev.append({"dur": 400.25, "name": "IteratorGetNext", "ph": "X", "pid": host_pid, "tid": 1002, "ts": t + 1.0})
        for k, (op, dur) in enumerate([("MatMul", 300.5), ("Relu", 80.75), ("BiasAddGrad", 120.125), ("Conv2D", 600.0)]):
            at = t + 500.0 + k * 450.0
            ev.append({"args": {"long_name": f"{op}:{op}/{s}"}, "dur": dur, "name": op, "ph": "X", "pid": host_pid, "tid": 1001, "ts": at})
            ev.append({"args": {"correlation_id": s * 10 + k}, "dur": dur * 0.8, "name": f"{op.lower()}_kernel", "ph": "X", "pid": gpu_pid, "tid": 7, "ts": at + 20.0})
        ev.append({"dur": 90.5, "name": "MemcpyH2D", "ph": "X", "pid": gpu_pid, "tid": 8, "ts": t + 410.0})
        ev.append({"cat": "copy", "id": s + 1, "name": "InfeedCopy", "ph": "b", "pid": host_pid, "tid": 1002, "ts": t + 5.0})
        ev.append({"cat": "copy", "id": s + 1, "name": "InfeedCopy", "ph": "e", "pid": host_pid, "tid": 1002, "ts": t + 900.0})
        for q in range(5):
            at = t + q * 500.0
            ev.append({"args": {"allocated_MiB": 100 + 40 * q + 5 * s, "reserved_MiB": 400}, "name": "GPU memory", "ph": "C", "pid": gpu_pid, "ts": at})
        t += step + 100.0
    return ev


def jax_events(host_pid="/host:CPU", dev_pid="/device:TPU:0"):
    """A JAX-like trace whose pids and tids are strings (as some writers
    name them), with the same metadata."""
    ev = [
        {"args": {"name": "TPU:0"}, "name": "process_name", "ph": "M", "pid": dev_pid},
        {"args": {"name": "XLA Ops"}, "name": "thread_name", "ph": "M", "pid": dev_pid, "tid": "ops"},
        {"args": {"name": "Python"}, "name": "thread_name", "ph": "M", "pid": host_pid, "tid": "main"},
    ]
    t = 50.0
    for s in range(3):
        ev.append({"dur": 800.5, "name": "jit_train_step", "ph": "X", "pid": host_pid, "tid": "main", "ts": t})
        ev.append({"dur": 500.25, "name": "fusion.1", "ph": "X", "pid": dev_pid, "tid": "ops", "ts": t + 100.0})
        ev.append({"dur": 200.0, "name": "all-reduce", "ph": "X", "pid": dev_pid, "tid": "ops", "ts": t + 610.0})
        ev.append({"name": "HostToDevice", "ph": "I", "pid": host_pid, "s": "p", "tid": "main", "ts": t + 20.0})
        ev.append({"args": {"hbm_used_GiB": 1.5 + s}, "name": "HBM", "ph": "C", "pid": dev_pid, "ts": t})
        t += 1000.0
    return ev


def document(events):
    body = ",".join(json.dumps(e, sort_keys=True, separators=(",", ":")) for e in events + [{}])
    return '{"displayTimeUnit":"ns","metadata":{"highres-ticks":true},"traceEvents":[' + body + "]}\n"


def write(rel, text, gz):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = text.encode()
    if gz:
        # mtime 0: the same bytes on every run
        with open(path, "wb") as f:
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as z:
                z.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def kineto():
    """A tiny PyTorch (Kineto) trace, so that one run holds both kinds."""
    ev = [
        {"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#1", "pid": 10, "tid": 10, "ts": 100, "dur": 900},
        {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 10, "tid": 10, "ts": 150, "dur": 300,
         "args": {"Input Dims": [[4, 4], [4, 4]]}},
        {"ph": "X", "cat": "cpu_op", "name": "aten::relu", "pid": 10, "tid": 10, "ts": 500, "dur": 100},
    ]
    return json.dumps({"schemaVersion": 1, "traceEvents": ev}, separators=(",", ":")) + "\n"


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    prof = f"plugins/profile/{STAMP}"
    # TensorFlow: two hosts of one profiling session, a later session
    write(f"tf/{prof}/host0.trace.json.gz", document(tf_events()), True)
    write(f"tf/{prof}/host1.trace.json.gz", document(tf_events(steps=2, host_pid=702)), True)
    write("tf/plugins/profile/2026_01_02_03_10_00/host0.trace.json.gz", document(tf_events(steps=1)), True)
    # JAX: string pids and tids, not compressed
    write(f"jax/{prof}/tpu_vm.trace.json", document(jax_events()), False)
    # a PyTorch trace and a TensorFlow trace in one run
    write("mixed/w0.1.pt.trace.json", kineto(), False)
    write(f"mixed/{prof}/host0.trace.json.gz", document(tf_events(steps=1)), True)
    # a damaged trace (cut in half) beside a good one
    text = document(tf_events(steps=2))
    write(f"damaged/{prof}/good.trace.json.gz", text, True)
    write(f"damaged/{prof}/cut.trace.json.gz", text[: len(text) // 2], True)


if __name__ == "__main__":
    main()
