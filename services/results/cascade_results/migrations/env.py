from cascade_results.models import metadata
from cascade_shared.migrations import run_env

run_env(metadata, "results")
