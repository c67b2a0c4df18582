from cascade_plans.models import metadata
from cascade_shared.chassis.migrations import run_env

run_env(metadata, "plans")
