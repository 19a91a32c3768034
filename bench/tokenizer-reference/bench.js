// The speed reference for TokenizerBench: Hugging Face tokenizers (Rust) through its Node binding,
// npm tokenizers@0.23.2 (pinned in package-lock.json). One thread: every encode is awaited before
// the next, and encodeBatch runs with RAYON_NUM_THREADS=1 (run.sh sets it).
//
//   node bench.js CORPUS_JSONL NAME=DIR [NAME=DIR ...]
//
// For each tokenizer: the load time of DIR/tokenizer.json, then encode MB/s (UTF-8 bytes of the
// texts, no special tokens) three ways over the corpus: each line awaited in turn (pays the
// binding's ~60 us per call), 20 KB chunks of joined lines awaited in turn (TokenizerBench makes
// the same chunks), and one encodeBatch over all lines. "ids" is the number of ids produced, to
// compare with TokenizerBench's.
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const CHUNK_BYTES = 20000;
const MIN_SECONDS = Number(process.env.BENCH_SECONDS || 3);

function corpus(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l).text);
}

/** Lines joined with "\n" until a chunk holds at least CHUNK_BYTES UTF-8 bytes (TokenizerBench.chunks). */
function chunks(lines) {
  const out = [];
  let current = null;
  for (const line of lines) {
    current = current === null ? line : current + '\n' + line;
    if (Buffer.byteLength(current, 'utf8') >= CHUNK_BYTES) {
      out.push(current);
      current = null;
    }
  }
  if (current !== null) out.push(current);
  return out;
}

async function timed(pass) {
  let ids = await pass(); // warm-up
  ids = await pass();
  let passes = 0;
  const start = process.hrtime.bigint();
  let seconds = 0;
  while (seconds < MIN_SECONDS) {
    ids = await pass();
    passes++;
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return { secondsPerPass: seconds / passes, ids };
}

async function main() {
  const [corpusFile, ...specs] = process.argv.slice(2);
  if (!corpusFile || specs.length === 0) {
    console.error('usage: node bench.js CORPUS_JSONL NAME=DIR [NAME=DIR ...]');
    process.exit(2);
  }
  const lines = corpus(corpusFile);
  const pieces = chunks(lines);
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8'), 0);
  const chunkBytes = pieces.reduce((n, c) => n + Buffer.byteLength(c, 'utf8'), 0);
  const options = { addSpecialTokens: false };
  console.log(`corpus: ${lines.length} lines, ${bytes} bytes; ${pieces.length} chunks of >= ${CHUNK_BYTES} bytes (${chunkBytes} bytes)`);
  console.log(`node ${process.version}, tokenizers ${require('tokenizers/package.json').version}, RAYON_NUM_THREADS=${process.env.RAYON_NUM_THREADS}`);
  for (const spec of specs) {
    const [name, dir] = spec.split('=');
    const file = path.join(dir, 'tokenizer.json');
    let loadMs = Infinity;
    let tokenizer;
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      tokenizer = Tokenizer.fromFile(file);
      loadMs = Math.min(loadMs, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const perLine = await timed(async () => {
      let n = 0;
      for (const l of lines) n += (await tokenizer.encode(l, null, options)).getIds().length;
      return n;
    });
    const perChunk = await timed(async () => {
      let n = 0;
      for (const c of pieces) n += (await tokenizer.encode(c, null, options)).getIds().length;
      return n;
    });
    const batch = await timed(async () => {
      let n = 0;
      for (const e of await tokenizer.encodeBatch(lines, options)) n += e.getIds().length;
      return n;
    });
    const mbs = (b, r) => (b / 1e6 / r.secondsPerPass).toFixed(2);
    console.log(`${name}: load ${loadMs.toFixed(0)} ms (best of 5); encode MB/s: lines ${mbs(bytes, perLine)} (ids ${perLine.ids}),`
      + ` 20KB chunks ${mbs(chunkBytes, perChunk)} (ids ${perChunk.ids}), encodeBatch ${mbs(bytes, batch)} (ids ${batch.ids})`);
  }
  // Lone surrogates: the binding converts JS strings to UTF-8 replacing each with U+FFFD, as akvq defines.
  const t = Tokenizer.fromFile(path.join(specs[0].split('=')[1], 'tokenizer.json'));
  const lone = (await t.encode('a\uD83Db\uDE00', null, options)).getIds();
  const fffd = (await t.encode('a\uFFFDb\uFFFD', null, options)).getIds();
  console.log(`lone surrogates encode as U+FFFD: ${JSON.stringify(lone) === JSON.stringify(fffd)} (${JSON.stringify(lone)})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
