#!/usr/bin/env python3
"""Berman's Lovász-softmax (bermanmaxim/LovaszSoftmax pytorch/lovasz_losses.py, as smp) on the CPU:
forward + backward of softmax -> lovasz_softmax(classes='present', per_image=False), timed.

Reads one JSON line from stdin: {"N", "C", "H", "W", "runs", "warmup", "x", "t"}, x and t the paths of the raw
NCHW float32 logits and int32 labels that bench/lovasz.mjs wrote. Writes one JSON line: timings in ms (forward +
backward, each run on a fresh leaf tensor), the loss, torch's thread count and version.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def lovasz_grad(gt_sorted):
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.float().cumsum(0)
    union = gts + (1 - gt_sorted).float().cumsum(0)
    jaccard = 1. - intersection / union
    if p > 1:
        jaccard[1:p] = jaccard[1:p] - jaccard[0:-1]
    return jaccard


def lovasz_softmax_flat(probas, labels, classes='present'):
    if probas.numel() == 0:
        return probas * 0.
    C = probas.size(1)
    losses = []
    class_to_sum = list(range(C)) if classes in ['all', 'present'] else classes
    for c in class_to_sum:
        fg = (labels == c).float()
        if classes == 'present' and fg.sum() == 0:
            continue
        class_pred = probas[:, c]
        errors = (fg - class_pred).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        fg_sorted = fg[perm]
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg_sorted)))
    return sum(losses) / len(losses)


def flatten_probas(probas, labels):
    B, C, H, W = probas.size()
    return probas.permute(0, 2, 3, 1).contiguous().view(-1, C), labels.view(-1)


def main():
    cfg = json.loads(sys.stdin.readline())
    N, C, H, W = cfg["N"], cfg["C"], cfg["H"], cfg["W"]
    x0 = torch.from_numpy(np.fromfile(cfg["x"], dtype=np.float32)).view(N, C, H, W)
    t = torch.from_numpy(np.fromfile(cfg["t"], dtype=np.int32).astype(np.int64)).view(N, H, W)
    times = []
    loss_v = None
    for r in range(cfg["warmup"] + cfg["runs"]):
        x = x0.clone().requires_grad_(True)
        t0 = time.perf_counter()
        p = F.softmax(x, dim=1)
        loss = lovasz_softmax_flat(*flatten_probas(p, t))
        loss.backward()
        t1 = time.perf_counter()
        if r >= cfg["warmup"]:
            times.append((t1 - t0) * 1000)
        loss_v = loss.item()
    times.sort()
    print(json.dumps({"median": times[len(times) // 2], "min": times[0], "max": times[-1], "n": len(times),
                      "loss": loss_v, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
