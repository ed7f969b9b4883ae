"""The kernel headers compile for the GPU.

A tiny .cu that includes philox.h, special.h and dist.h (and evaluator.h
once it exists) and defines a kernel calling sample_block is compiled to
PTX with nvcc; no GPU is needed, only the compiler. Each kernel header is
also compiled alone, so that every piece includes what it uses.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CSRC = Path(__file__).resolve().parents[2] / "csrc"

# The header-only kernel code: special.h and dist.h include the pieces
# before them in each group.
KERNEL_HEADERS = [
    "mc_defs.h",
    "special_elementary.h",
    "collect.h",
    "special_incomplete.h",
    "special_normal.h",
    "special_inverse.h",
    "special.h",
    "dist_params.h",
    "dist_table.h",
    "dist_continuous.h",
    "dist_discrete.h",
    "dist.h",
    "philox.h",
    "sampling.h",
    "excel_ops.h",
    "evaluator.h",
]

KERNEL = """
{includes}

extern "C" __global__ void sample_kernel(int kind, const double* p0,
                                         const double* p1, const double* p2,
                                         const double* p3, const double* aux,
                                         unsigned long long seed, double* u,
                                         double* out, int n) {{
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= n) return;
  const double* params[4] = {{p0 + k, p1 + k, p2 + k, p3 + k}};
  u[k] = mc::uniform_at(seed, 0u, static_cast<unsigned long long>(k));
  mc::sample_block(kind, params, aux, u + k, out + k, 1);
}}
"""


def find_nvcc() -> str | None:
    found = shutil.which("nvcc")
    default = Path("/usr/local/cuda/bin/nvcc")
    if found is None and default.exists() and os.access(default, os.X_OK):
        found = str(default)
    return found


def test_headers_compile_to_ptx(tmp_path):
    """nvcc -std=c++17 --ptx accepts the headers and emits the kernel."""
    nvcc = find_nvcc()
    if nvcc is None:
        pytest.skip("nvcc is neither on PATH nor in /usr/local/cuda/bin")
    headers = ["philox.h", "special.h", "dist.h", "evaluator.h"]
    includes = "\n".join(
        f'#include "{h}"' for h in headers if (CSRC / h).exists()
    )
    source = tmp_path / "kernel.cu"
    source.write_text(KERNEL.format(includes=includes))
    ptx = tmp_path / "kernel.ptx"
    done = subprocess.run(
        [
            nvcc,
            "-std=c++17",
            "--ptx",
            "-I",
            str(CSRC),
            str(source),
            "-o",
            str(ptx),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert ".entry sample_kernel" in ptx.read_text()


def test_each_kernel_header_compiles_alone(tmp_path):
    """Every kernel header, alone in a .cu file, compiles to PTX."""
    nvcc = find_nvcc()
    if nvcc is None:
        pytest.skip("nvcc is neither on PATH nor in /usr/local/cuda/bin")
    sources = []
    for header in KERNEL_HEADERS:
        if not (CSRC / header).exists():
            continue
        source = tmp_path / f"{Path(header).stem}.cu"
        source.write_text(f'#include "{header}"\n')
        sources.append(str(source))
    done = subprocess.run(
        [nvcc, "-std=c++17", "--ptx", "-I", str(CSRC), *sources],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert len(list(tmp_path.glob("*.ptx"))) == len(sources)
