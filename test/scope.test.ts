// Explicit activation lifetimes (src/tensor/scope.ts, src/backend/hostBufferPool.ts) on every backend under
// test: released memory is reused, what a scope returns survives (views included), nested scopes and chains
// release what is dead and nothing else, a released tensor fails loudly, weights and caller data are never
// touched; the chunked feed-forward equals the unchunked one bit for bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Backend } from "../src/backend/Backend.js";
import { createBackend } from "../src/backend/index.js";
import type { BufferPoolStats } from "../src/backend/hostBufferPool.js";
import { retainTraced, type TraceFn } from "../src/models/common/trace.js";
import { FeedForward } from "../src/models/unet/FeedForward.js";
import { add, keep, scale, sequential, silu, tidy } from "../src/tensor/ops.js";
import type { Tensor } from "../src/tensor/Tensor.js";
import { loadWeights } from "../src/weights/load.js";
import { SyntheticSource } from "../src/weights/WeightSource.js";
import { backendsUnderTest } from "./helpers/backends.js";

const { names } = backendsUnderTest();

function backendNamed(name: string): Backend {
  return createBackend(name, name === "ts" ? { threads: 1 } : {});
}

function stats(b: Backend): BufferPoolStats {
  return (b as unknown as { bufferStats: BufferPoolStats }).bufferStats;
}

const f32 = (values: number[]): Float32Array => Float32Array.from(values);
/** Where a tensor's elements live: its buffer and byte offset. */
const where = (t: Tensor): [ArrayBufferLike, number] => {
  const d = t.storage as Float32Array;
  return [d.buffer, d.byteOffset];
};

for (const name of names) {
  test(`${name}: a released output's memory is the next output's; results survive, views included`, async () => {
    const b = backendNamed(name);
    const x = b.fromArray(f32([1, -2, 3, -4, 5, -6]), [2, 3]);
    let first: [ArrayBufferLike, number] | null = null;
    const y = tidy(b, () => {
      const dead = tidy(b, () => {
        const t = scale(x, 2);
        first = where(t);
        return silu(add(t, t)).reshape([3, 2]); // t and the add are released, the silu output kept (as a view)
      });
      const again = scale(x, 3); // same size as t: takes its memory
      assert.deepEqual(where(again), first);
      return add(dead.reshape([2, 3]), again).reshape([6]);
    });
    const t = scale(x, 2); // the same ops outside every scope
    const expected = add(silu(add(t, t)), scale(x, 3));
    assert.deepEqual([...await y.toArray()], [...await expected.toArray()]);
    assert.deepEqual([...y.shape], [6]);
    assert.equal(stats(b).liveBytes, 0, "the outermost result was copied out of the arenas");
    assert.ok(stats(b).reused > 0);
  });

  test(`${name}: nested scopes release at the right end; a released tensor throws`, async () => {
    const b = backendNamed(name);
    const x = b.fromArray(f32([1, 2, 3, 4]), [4]);
    let leaked: Tensor | null = null;
    let inner: Tensor | null = null;
    const out = tidy(b, () => {
      inner = tidy(b, () => {
        leaked = scale(x, 10); // not returned: released when this scope ends
        return scale(x, 2);
      });
      assert.throws(() => leaked!.reshape([2, 2]), /released at the end of the tidy\(\)\/sequential\(\) scope/);
      assert.deepEqual([...(inner.storage as Float32Array)], [2, 4, 6, 8], "returned from the inner scope: alive in the outer");
      return scale(inner, 0.5);
    });
    await assert.rejects(inner!.toArray(), /released/); // the outer scope released it
    assert.deepEqual([...await out.toArray()], [1, 2, 3, 4]);
  });

  test(`${name}: inputs, weights and fromArray data are never released or reused`, async () => {
    const b = backendNamed(name);
    const data = f32([0.5, -1, 2, 3]);
    const x = b.fromArray(data, [1, 4]);
    const gamma = b.prepareVector(f32([1, 1, 1, 1]), [4]);
    const beta = b.prepareVector(f32([0, 0, 0, 0]), [4]);
    const w = b.prepareLinear(f32([1, 0, 0, 0, 0, 1, 0, 0]), 2, 4, f32([0.25, -0.25]));
    for (let i = 0; i < 3; i++) {
      tidy(b, () => {
        const y = b.linear(b.layerNorm(x, gamma, beta, 1e-5), w); // all outputs released
        tidy(b, () => scale(y, 2), [x, gamma]); // consuming what the enclosing scope does not own: no effect
        return null;
      });
    }
    assert.deepEqual([...await x.toArray()], [0.5, -1, 2, 3]);
    assert.deepEqual([...await gamma.toArray()], [1, 1, 1, 1]);
    const y = tidy(b, () => b.linear(x, w));
    assert.deepEqual([...await y.toArray()], [0.75, -1.25]);
  });

  test(`${name}: sequential releases each step's result after the next step; consumes and hand-over`, async () => {
    const b = backendNamed(name);
    const x = b.fromArray(f32([1, 2]), [2]);
    const seen: Tensor[] = [];
    const out = tidy(b, () => {
      const y = sequential(x,
        (h) => { const t = scale(h, 2); seen.push(t); return t; },
        (h) => { const t = scale(h, 3); seen.push(t); return t; },
        (h) => h, // an identity step keeps its input
        (h) => scale(h, 5),
      );
      assert.throws(() => seen[0]!.reshape([2]), /released/, "step 1's result died after step 2");
      assert.throws(() => seen[1]!.reshape([2]), /released/, "step 2's result died after step 4");
      // consumes: a tensor this scope owns, dead after the inner scope
      const z = scale(y, 1);
      const w = tidy(b, () => add(z, z), [z]);
      assert.throws(() => z.reshape([2]), /released/);
      // hand-over: a chain run inside a step (a module's forward) may release the step's input after its first step
      const v = sequential(w,
        (h) => { const t = scale(h, 1); seen.push(t); return t; },
        (h) => sequential(h, (g) => scale(g, 2), (g) => {
          assert.throws(() => seen[2]!.reshape([2]), /released/, "released by the nested chain, before the outer step ends");
          return scale(g, 1);
        }),
      );
      return [y, v];
    });
    assert.deepEqual([...await out[0]!.toArray()], [30, 60]);
    assert.deepEqual([...await out[1]!.toArray()], [120, 240]);
    assert.deepEqual([...await x.toArray()], [1, 2], "the chain's input is the caller's");
    assert.equal(stats(b).liveBytes, 0);
  });

  test(`${name}: keep() and traced tensors outlive their scope; a throwing scope releases nothing`, async () => {
    const b = backendNamed(name);
    const x = b.fromArray(f32([1, -1]), [2]);
    const recorded: Tensor[] = [];
    const trace = retainTraced(((_: string, t: Tensor) => void recorded.push(t)) as TraceFn);
    let kept: Tensor | null = null;
    tidy(b, () => {
      kept = keep(scale(x, 4));
      trace!("a", tidy(b, () => scale(x, 7)));
      return null;
    });
    tidy(b, () => scale(x, 9)); // would reuse released memory
    assert.deepEqual([...await kept!.toArray()], [4, -4]);
    assert.deepEqual([...await recorded[0]!.toArray()], [7, -7]);
    let orphan: Tensor | null = null;
    assert.throws(() => tidy(b, () => {
      orphan = scale(x, 3);
      throw new Error("boom");
    }), /boom/);
    assert.deepEqual([...await orphan!.toArray()], [3, -3]);
    assert.throws(() => tidy(b, () => Promise.resolve(scale(x, 1))), /returned a Promise/);
    assert.deepEqual([...await tidy(b, () => scale(x, 2)).toArray()], [2, -2], "scopes still balanced");
  });

  test(`${name}: the feed-forward in row chunks equals it in one piece, bit for bit`, async () => {
    const b = backendNamed(name);
    const ff = new FeedForward(16); // 64-wide GEGLU: FF_CHUNK_BYTES (16 MiB) / 512 B per row = 32,768 rows a chunk
    loadWeights(ff, new SyntheticSource(), b);
    const rows = 32_768 + 77;
    const x = b.fromArray(Float32Array.from({ length: rows * 16 }, (_, i) => Math.sin(i * 0.37)), [1, rows, 16]);
    const chunked = await ff.forward(x).toArray();
    const whole = await tidy(b, () => ff.out.forward(ff.geglu.forward(x))).toArray();
    assert.ok(Buffer.from(chunked.buffer).equals(Buffer.from(whole.buffer)));
  });
}
