"""The SD1.5 UNet forward in plain PyTorch, timed on this machine: the side-by-side yardstick for `sdts bench`.

Not part of `npm test` and not needed by sdts. diffusers cannot be installed here (no PyPI), but Debian ships
PyTorch (`apt-get install python3-torch`: 1.13.1 with oneDNN 2.6), so this file writes the SD1.5 UNet out in
torch.nn with the same layers, shapes and FLOPs as diffusers' UNet2DConditionModel for the SD1.5 config
(conv 887.9 + linear 466.6 = 1,354.4 GFLOP at [2,4,64,64]) and the attention diffusers runs on torch < 2
(baddbmm → softmax → bmm per head batch). Random weights: the time does not depend on their values.

    python3 bench/pytorch/unet_sd15.py [--latent 64x64] [--batch 2] [--threads 2] [--iters 3] [--bf16]
"""
import argparse
import contextlib
import math
import resource
import time

import torch
import torch.nn.functional as F
from torch import nn


class Resnet(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = nn.GroupNorm(32, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(1280, cout)
        self.norm2 = nn.GroupNorm(32, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.shortcut(x) if self.shortcut is not None else x) + h


class Attention(nn.Module):
    def __init__(self, dim, context_dim, heads=8):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context):
        b, t, c = x.shape
        h, d = self.heads, c // self.heads

        def split(y):  # [B, T, H·D] → [B·H, T, D]
            return y.reshape(b, -1, h, d).permute(0, 2, 1, 3).reshape(b * h, -1, d)

        q, k, v = split(self.to_q(x)), split(self.to_k(context)), split(self.to_v(context))
        scores = torch.baddbmm(torch.empty(q.shape[0], q.shape[1], k.shape[1], dtype=q.dtype), q, k.transpose(1, 2),
                               beta=0, alpha=1 / math.sqrt(d))
        out = torch.bmm(scores.softmax(dim=-1), v)
        return self.to_out(out.reshape(b, h, t, d).permute(0, 2, 1, 3).reshape(b, t, c))


class TransformerBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm1, self.attn1 = nn.LayerNorm(dim), Attention(dim, dim)
        self.norm2, self.attn2 = nn.LayerNorm(dim), Attention(dim, 768)
        self.norm3 = nn.LayerNorm(dim)
        self.ff_proj, self.ff_out = nn.Linear(dim, dim * 8), nn.Linear(dim * 4, dim)

    def forward(self, x, context):
        y = self.norm1(x)
        x = self.attn1(y, y) + x
        x = self.attn2(self.norm2(x), context) + x
        a, gate = self.ff_proj(self.norm3(x)).chunk(2, dim=-1)
        return self.ff_out(a * F.gelu(gate)) + x


class Transformer2D(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.GroupNorm(32, dim, eps=1e-6)
        self.proj_in, self.proj_out = nn.Conv2d(dim, dim, 1), nn.Conv2d(dim, dim, 1)
        self.block = TransformerBlock(dim)

    def forward(self, x, context):
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x)).permute(0, 2, 3, 1).reshape(b, hh * ww, c)
        h = self.block(h, context)
        return self.proj_out(h.reshape(b, hh, ww, c).permute(0, 3, 1, 2).contiguous()) + x


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        ch = [320, 640, 1280, 1280]
        self.conv_in = nn.Conv2d(4, 320, 3, padding=1)
        self.time_1, self.time_2 = nn.Linear(320, 1280), nn.Linear(1280, 1280)
        self.down = nn.ModuleList()
        skips = [320]
        cin = 320
        for i, c in enumerate(ch):
            for _ in range(2):
                self.down.append(nn.ModuleList([Resnet(cin, c)] + ([Transformer2D(c)] if i < 3 else [])))
                cin = c
                skips.append(c)
            if i < 3:
                self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skips.append(c)
        self.mid = nn.ModuleList([Resnet(1280, 1280), Transformer2D(1280), Resnet(1280, 1280)])
        self.up = nn.ModuleList()
        for i, c in enumerate(reversed(ch)):
            for _ in range(3):
                self.up.append(nn.ModuleList([Resnet(cin + skips.pop(), c)] + ([Transformer2D(c)] if i > 0 else [])))
                cin = c
            if i < 3:
                self.up.append(nn.Conv2d(c, c, 3, padding=1))  # after nearest ×2
        self.norm_out = nn.GroupNorm(32, 320, eps=1e-5)
        self.conv_out = nn.Conv2d(320, 4, 3, padding=1)

    def forward(self, sample, t, context):
        half = 160
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
        args = t[:, None].float() * freqs[None]
        temb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # flip_sin_to_cos
        temb = self.time_2(F.silu(self.time_1(temb)))
        x = self.conv_in(sample)
        skips = [x]
        for layer in self.down:
            if isinstance(layer, nn.Conv2d):
                x = layer(x)
            else:
                x = layer[0](x, temb)
                if len(layer) > 1:
                    x = layer[1](x, context)
            skips.append(x)
        x = self.mid[2](self.mid[1](self.mid[0](x, temb), context), temb)
        for layer in self.up:
            if isinstance(layer, nn.Conv2d):
                x = layer(F.interpolate(x, scale_factor=2.0, mode="nearest"))
            else:
                x = layer[0](torch.cat([x, skips.pop()], dim=1), temb)
                if len(layer) > 1:
                    x = layer[1](x, context)
        return self.conv_out(F.silu(self.norm_out(x)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latent", default="64x64")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--bf16", action="store_true", help="torch.cpu.amp.autocast(dtype=torch.bfloat16)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    h, w = (int(v) for v in a.latent.split("x"))
    model = UNet().eval()
    for prm in model.parameters():
        prm.data.normal_(0, 0.02)
    n_params = sum(prm.numel() for prm in model.parameters())
    sample = torch.randn(a.batch, 4, h, w)
    t = torch.full((a.batch,), 999)
    context = torch.randn(a.batch, 77, 768)
    amp = torch.cpu.amp.autocast(dtype=torch.bfloat16) if a.bf16 else contextlib.nullcontext()
    times = []
    with torch.no_grad(), amp:
        model(sample, t, context)  # warm-up (oneDNN primitive creation)
        for _ in range(a.iters):
            t0 = time.perf_counter()
            model(sample, t, context)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"torch {torch.__version__}, {a.threads} threads, params {n_params:,}, [{a.batch},4,{h},{w}], "
          f"{'bf16 autocast' if a.bf16 else 'fp32'}: median {times[len(times) // 2]:.0f} ms, min {times[0]:.0f} ms "
          f"({', '.join(f'{x:.0f}' for x in times)}), peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
