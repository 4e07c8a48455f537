"""Training across processes and machines with JAX's own engine, ``jax.distributed``.

Every process runs the same command with its own process id; ``initialize`` joins them
before JAX starts its backends. ``training.train`` then spans every device of every
process: each process feeds its own slice of each batch, gradients are averaged by
XLA's collectives (NCCL on GPUs, Gloo on CPUs), and all processes end with the same
parameters. Only the main process should write files.
"""

import os

import jax

ADDRESS_VARIABLE, COUNT_VARIABLE, ID_VARIABLE = "JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"


def initialize(
    coordinator_address: str | None = None, num_processes: int | None = None, process_id: int | None = None
) -> bool:
    """Joins the processes of one run when a coordinator is named (here or in ``$JAX_COORDINATOR_ADDRESS``,
    with ``$JAX_NUM_PROCESSES`` and ``$JAX_PROCESS_ID``); returns whether it did. Call it first."""
    coordinator_address = coordinator_address or os.environ.get(ADDRESS_VARIABLE)
    if not coordinator_address:
        return False
    num_processes = num_processes if num_processes is not None else _int_variable(COUNT_VARIABLE)
    process_id = process_id if process_id is not None else _int_variable(ID_VARIABLE)
    if num_processes is None or process_id is None:
        raise ValueError(
            f"a coordinator address needs the number of processes and this process's id "
            f"(--num-processes and --process-id, or ${COUNT_VARIABLE} and ${ID_VARIABLE})"
        )
    if not 0 <= process_id < num_processes:
        raise ValueError(f"process id {process_id} must be between 0 and {num_processes - 1}")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU processes need it; GPUs use NCCL
    jax.distributed.initialize(coordinator_address, num_processes, process_id)
    return True


def is_main_process() -> bool:
    return jax.process_index() == 0


def _int_variable(name: str) -> int | None:
    value = os.environ.get(name)
    return None if value is None else int(value)
