// The sinusoidal timestep embedding (diffusers `Timesteps`, `time_proj`): for frequencies
// f_i = exp(−ln(10000)·i / (half − freqShift)), i < half, the row for timestep t is [sin(t·f), cos(t·f)],
// or [cos, sin] with flip_sin_to_cos (SD1.x). It has no parameters.
//
// diffusers evaluates this in float32, and at t = 999 the float32 rounding of t·f moves the result by
// up to 5e-5 from the exact value; we round each step to float32 the same way so that trace.t_emb
// matches the reference closely, not just within tolerance.
import type { Backend } from "../../backend/Backend.js";
import { Module } from "../../nn/Module.js";
import type { Tensor } from "../../tensor/Tensor.js";

const f32 = Math.fround;

export class Timesteps extends Module {
  constructor(readonly numChannels: number, readonly flipSinToCos: boolean, readonly freqShift: number) {
    super();
    if (numChannels % 2 !== 0) throw new Error(`Timesteps: odd embedding width ${numChannels} is not supported`);
  }

  override repr(): string {
    return "Timesteps()";
  }

  /** One timestep per batch row → [B, numChannels]. */
  forward(timesteps: readonly number[], backend: Backend): Tensor {
    const half = this.numChannels / 2;
    const B = timesteps.length;
    const out = new Float32Array(B * this.numChannels);
    const negLog = f32(-Math.log(10000));
    for (let i = 0; i < half; i++) {
      // exponent = (−ln 10000 · i) / (half − shift), each op in float32
      const exponent = f32(f32(negLog * i) / f32(half - this.freqShift));
      const freq = f32(Math.exp(exponent));
      for (let b = 0; b < B; b++) {
        const arg = f32(f32(timesteps[b]!) * freq);
        const s = f32(Math.sin(arg)), c = f32(Math.cos(arg));
        const row = b * this.numChannels;
        out[row + i] = this.flipSinToCos ? c : s;
        out[row + half + i] = this.flipSinToCos ? s : c;
      }
    }
    return backend.fromArray(out, [B, this.numChannels]);
  }
}
