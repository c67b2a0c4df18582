from cascade_audit.models import metadata
from cascade_shared.chassis.migrations import run_env

run_env(metadata, "audit")
