#!/usr/bin/env python3
"""Regenerates test/fixtures/reference.safetensors with the reference
implementation (pip package `safetensors` + numpy). The file is committed, so
tests and CI never need Python; test/io_safetensors.test.ts hard-codes the
values below, so keep the two in sync.

usage: python3 scripts/make-safetensors-fixture.py
"""
import os

import numpy as np
from safetensors.numpy import save

tensors = {
    "f32": np.array([[0.5, -1.25, 3.0], [1e-8, 65504.0, -0.0]], dtype=np.float32),
    "f64": np.array([np.pi, -np.e, 1e300], dtype=np.float64),
    "i32": np.array([[-2147483648], [2147483647]], dtype=np.int32),
    "i64": np.array([-9007199254740993, 9223372036854775807], dtype=np.int64),
    "u8": np.arange(250, 256, dtype=np.uint8).reshape(2, 3),
    "bool": np.array([True, False, True]),
    "scalar": np.array(7.0, dtype=np.float64),
    "empty": np.zeros((0, 4), dtype=np.float32),
    "layer.0.weight": np.array([1, 2, 3, 4], dtype=np.int32),
}
out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "reference.safetensors")
with open(out, "wb") as f:
    f.write(save(tensors, metadata={"format": "np", "note": "nodetorch fixture"}))
print(out)
