"""Scale-out on Redis: `enqueue` adds jobs (RQ), `worker`s capture them into bundles, `collect` commits."""
