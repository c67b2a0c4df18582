from cascade_results.models import metadata
from cascade_shared.chassis.migrations import run_env

run_env(metadata, "results")
