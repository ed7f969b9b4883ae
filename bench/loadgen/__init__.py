"""A gRPC load generator for mcengine with an SLA verdict.

`mcengine-bench` answers two questions in one command: does this build
hold p95 under 2 seconds at the load we expect, and how much load can it
take? It drives a server with a mix of simulation requests (mix), either
closed loop (a fixed number of workers) or open loop (a target rate, each
latency counted from the call's intended send time: schedule, runner),
and writes a report in the JSON shape ghz uses (report), with the
generator's own cost checked (selfcheck), a verdict against the SLA
(sla), an optional capacity search (capacity) and plots (plots).

Modules, one concept each: mix, schedule, runner, client, distribution,
report, selfcheck, sla, capacity, summary, plots, options, cli.
"""
