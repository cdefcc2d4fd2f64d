"""`python -m harness watch URL|ngrok`: the restart-and-verify loop.

Waits for a change (the health answer's restart field, a service log's new start line, a new
public URL from the local ngrok agent, a compose service restarted, or `--every`), runs the
engine, and prints only what changed since the previous run, cause by cause. Owns the
duration syntax (`duration`), the polling interval chosen from the rate budget (`polling`),
the change detectors (`changes`), the comparison of two runs (`diff`), one verification
(`verify`: a run with the kept tokens, recorded, told as changes), the loop (`loop`) and its
command line (`command`). Its polls go through the probe client and into the request
ledger; its runs keep their tokens in memory for the next ones.

May import: config, contract, engine, history, judge, plan, probes, process, records, reports,
sanitize, stacks.
"""
