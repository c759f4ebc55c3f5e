"""Batch upscaling and A/B evaluation at folder scale, in one process or on Dask.

- :mod:`~upscalekit.batch.plan`: inputs (folders, globs, manifests) → jobs with mirrored, settings-named
  outputs;
- :mod:`~upscalekit.batch.run`: :func:`upscale_batch`, sidecars, skip-on-rerun, one model per process;
- :mod:`~upscalekit.batch.cluster`: the same jobs on a Dask ``LocalCluster`` or scheduler (optional extra);
- :mod:`~upscalekit.batch.experiment`: :func:`evaluate_models`, images × models → a metrics table,
  bootstrap summary and contact sheets.

Importing this package loads neither torch nor dask.
"""

from upscalekit.batch.experiment import Evaluation, bootstrap_mean, evaluate_models, summarize
from upscalekit.batch.plan import Job, Source, find_inputs, output_name, plan_jobs, settings_hash
from upscalekit.batch.run import BatchReport, JobResult, Settings, run_job, sidecar_matches, upscale_batch

__all__ = [
    "BatchReport",
    "Evaluation",
    "Job",
    "JobResult",
    "Settings",
    "Source",
    "bootstrap_mean",
    "evaluate_models",
    "find_inputs",
    "output_name",
    "plan_jobs",
    "run_job",
    "settings_hash",
    "sidecar_matches",
    "summarize",
    "upscale_batch",
]
