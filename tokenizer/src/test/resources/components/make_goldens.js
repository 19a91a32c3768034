// Writes the component goldens: small tokenizer.json files, each exercising normalizers,
// pre-tokenizers, post-processors and decoders that the gpt2/qwen3/llama2 goldens do not, and
// what Hugging Face tokenizers (npm tokenizers@0.23.2, the Rust library, pinned in
// bench/tokenizer-reference/package-lock.json) makes of a list of texts with them.
//
//   cd bench/tokenizer-reference && npm ci && cd - && \
//   NODE_PATH=bench/tokenizer-reference/node_modules node tokenizer/src/test/resources/components/make_goldens.js
//
// For each case NAME: NAME/tokenizer.json (loaded by the library and written back with its own
// save, so the file is in the library's canonical form) and NAME/goldens.jsonl, one line per
// text and add_special_tokens value: ids, tokens, decoded and decoded_skip_special, the fields
// TokenizerGoldenTest reads. Legacy-form files (Metaspace's add_prefix_space) are kept as
// written, since save would rewrite them; the library still reads them to make the goldens.
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const OUT = __dirname;

const TEXTS = [
  'Hello world', 'hello world', ' Hello world', 'Hello  world', '  two leading', 'trailing  ', ' ', '   ', '',
  'a', 'The year 2024 had 366 days.', '3.14159 and 1,000,000', 'x=12+34*56', 'phone: 555-0123',
  'Hello, world! How are you?', "don't stop 'til it's done", '(brackets) [and] {braces}', 'a--b...c!!!',
  '\u00e9t\u00e9 caf\u00e9 na\u00efve', 'e\u0301te\u0301 cafe\u0301', '\ufb01ne \ufb02ow', '\u2460\u2461\u2462 \u216b \u00bd',
  '\uff28\uff45\uff4c\uff4c\uff4f\uff01 \uff11\uff12\uff13', 'Stra\u00dfe \u0130stanbul \u03a3\u039f\u03a6\u039f\u03a3',
  '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u0663\u0664\u0665', '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645',
  'emoji \ud83d\ude00\ud83d\udc4d\ud83c\udffd family \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67', 'tab\tnew\nline\r\nend',
  'no\u00a0break\u2003em\u3000ideo', '<s>Hello</s>', 'Hi <s> there </s> end', '<s> leading special', 'abc<unk>def',
  '\u2581already \u2581marked', '\u2581', 'the the the the', 'hello_world snake_case CamelCase', 'HELLO World MiXeD',
  '  multiple   spaces   inside  ', '12345678901234567890', 'v1.2.3-rc4', '\u0301accent first', '((x))', 'user@example.com https://x.y/z?q=1',
];

// A SentencePiece-style vocabulary: <unk> <s> </s>, the 256 byte tokens, printable ASCII, the
// replacement character, and the merges that spell WORDS left to right.
const WORDS = ['\u2581the', '\u2581hello', '\u2581world', 'hello', 'world', 'Hello', '\u2581Hello', 'the', 'ing', '\u2581\u2581',
  '\u2581\u2581\u2581', '12', '123', '2024', '00', '000', '..', '...', '!!', 'fi', 'fl', 'ca', 'caf', 'st', 'sp', 'spa', 'space',
  'spaces', '\u2581t', '\u2581a', 'er', 're', 'on', 'an', 'in', 'll', 'lo', 'wo', 'or', 'ld', 'he', 'th', '\u2581w', '\u2581s', 'es'];

// The merges that build each word (a list of symbols) left to right; add() puts each merged token in the vocab.
function spell(words, add) {
  const merges = [];
  const seen = new Set();
  for (const chars of words) {
    let left = chars[0];
    for (const c of chars.slice(1)) {
      const key = left + ' ' + c;
      if (!seen.has(key)) { seen.add(key); merges.push([left, c]); }
      left = left + c;
      add(left);
    }
  }
  return merges;
}

function sentencePieceModel(byteFallback) {
  const vocab = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  const add = (t) => { if (!(t in vocab)) vocab[t] = Object.keys(vocab).length; };
  for (let b = 0; b < 256; b++) add('<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>');
  for (let c = 0x21; c < 0x7f; c++) add(String.fromCharCode(c));
  add('\u2581');
  add(' ');
  const merges = spell(WORDS.map((w) => Array.from(w)), add);
  return { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: true, byte_fallback: byteFallback, ignore_merges: false, vocab, merges };
}

// GPT-2's byte-to-character table (openai/gpt-2 src/encoder.py bytes_to_unicode).
function byteLevelAlphabet() {
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  const out = new Array(256);
  bs.forEach((b, i) => { out[b] = String.fromCodePoint(cs[i]); });
  return out;
}

// A byte-level vocabulary: <unk> <s> </s>, the 256 byte characters, and the merges that spell
// WORDS (spaces as their byte character) left to right.
function byteLevelModel() {
  const alphabet = byteLevelAlphabet();
  const vocab = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  const add = (t) => { if (!(t in vocab)) vocab[t] = Object.keys(vocab).length; };
  alphabet.forEach(add);
  const merges = spell(WORDS.map((w) => Array.from(Buffer.from(w.replaceAll('\u2581', ' '), 'utf8')).map((b) => alphabet[b])), add);
  return { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges };
}

const ADDED = [
  { id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  { id: 1, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  { id: 2, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
];

const BOS_TEMPLATE = {
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
  pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
};
const BOS_EOS_TEMPLATE = {
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
  pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
};

const metaspace = (scheme, split) => ({ type: 'Metaspace', replacement: '\u2581', prepend_scheme: scheme, split });
const split = (pattern, behavior, invert) => ({ type: 'Split', pattern, behavior, invert });
const fallbackDecoder = { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] };

function tokenizer(normalizer, preTokenizer, postProcessor, decoder, byteFallback = true) {
  return { version: '1.0', truncation: null, padding: null, added_tokens: ADDED, normalizer, pre_tokenizer: preTokenizer,
    post_processor: postProcessor, decoder, model: sentencePieceModel(byteFallback) };
}

function byteLevelTokenizer(normalizer, preTokenizer, postProcessor) {
  return { version: '1.0', truncation: null, padding: null, added_tokens: ADDED, normalizer, pre_tokenizer: preTokenizer,
    post_processor: postProcessor, decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: byteLevelModel() };
}

const CASES = {
  // Mistral-7B-v0.3 / Llama-2 converted with legacy=false: Metaspace "first", no split, BPE with byte fallback.
  metaspace_first: tokenizer(null, metaspace('first', false), BOS_TEMPLATE,
    { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, metaspace('first', false), { type: 'Fuse' }] }),
  metaspace_always_split: tokenizer({ type: 'NFKC' }, metaspace('always', true), BOS_EOS_TEMPLATE, metaspace('always', true)),
  metaspace_never_split: tokenizer({ type: 'Sequence', normalizers: [{ type: 'NFKD' }, { type: 'Lowercase' }] },
    metaspace('never', true), null, { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, metaspace('never', true), { type: 'Fuse' }] }),
  // The legacy form: add_prefix_space beside or instead of prepend_scheme (kept as written, see above).
  metaspace_legacy_prefix: tokenizer({ type: 'NFD' }, { type: 'Metaspace', replacement: '\u2581', add_prefix_space: true },
    BOS_TEMPLATE, { type: 'Metaspace', replacement: '\u2581', add_prefix_space: true }),
  metaspace_legacy_no_prefix: tokenizer(null, { type: 'Metaspace', replacement: '\u2581', add_prefix_space: false, prepend_scheme: 'never', split: false },
    null, { type: 'Metaspace', replacement: '\u2581', add_prefix_space: false, prepend_scheme: 'never' }),
  // Metaspace "first" behind a Split that can remove the text's start.
  metaspace_first_after_split: tokenizer({ type: 'Strip', strip_left: false, strip_right: true },
    { type: 'Sequence', pretokenizers: [split({ Regex: '\\d+' }, 'Removed', false), metaspace('first', true)] }, null,
    { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, metaspace('first', true), { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] }),
  // Metaspace "first" after normalizers that can remove the text's first character.
  metaspace_first_after_strip: tokenizer({ type: 'Sequence', normalizers: [{ type: 'Strip', strip_left: true, strip_right: false },
    { type: 'StripAccents' }, { type: 'Replace', pattern: { String: '(' }, content: '' }, { type: 'Prepend', prepend: '~' }] },
  metaspace('first', true), BOS_TEMPLATE, { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, metaspace('first', true), { type: 'Fuse' }] }),
  digits_individual: tokenizer({ type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Strip', strip_left: true, strip_right: true }] },
    { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Digits', individual_digits: true }] }, BOS_TEMPLATE, fallbackDecoder),
  digits_contiguous: tokenizer({ type: 'NFKC' },
    { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Digits', individual_digits: false }, { type: 'Punctuation', behavior: 'Isolated' }] },
    null, fallbackDecoder),
  punctuation_merged_next: tokenizer({ type: 'StripAccents' },
    { type: 'Sequence', pretokenizers: [{ type: 'Punctuation', behavior: 'MergedWithNext' }, { type: 'Digits', individual_digits: true }] }, null, fallbackDecoder),
  punctuation_contiguous: tokenizer({ type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }] },
    { type: 'Punctuation', behavior: 'Contiguous' }, null, fallbackDecoder),
  // Byte-level BPE behind other components, as GPT-2-style files combine them.
  bytelevel_nfkc_digits: byteLevelTokenizer(
    { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true },
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }] },
    { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }),
  bytelevel_no_regex_lowercase: byteLevelTokenizer({ type: 'Lowercase' },
    { type: 'Sequence', pretokenizers: [split({ Regex: '\\p{N}{1,3}' }, 'Isolated', false),
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }] }, BOS_EOS_TEMPLATE),
  bert_pre_tokenizer: tokenizer({ type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }] },
    { type: 'BertPreTokenizer' }, BOS_EOS_TEMPLATE, fallbackDecoder),
  // CharDelimiterSplit, and Replace with a Regex pattern as normalizer and as decoder.
  char_delimiter_replace_regex: tokenizer({ type: 'Replace', pattern: { Regex: '[0-9]+' }, content: '#' },
    { type: 'CharDelimiterSplit', delimiter: ' ' }, null,
    { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Replace', pattern: { Regex: 'l+' }, content: 'L' }] }),
};

for (const behavior of ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous']) {
  for (const invert of [false, true]) {
    const name = 'split_' + behavior.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase() + (invert ? '_invert' : '');
    // A regex pattern, then a literal one, then Metaspace so that the pieces show.
    CASES[name] = tokenizer(null, { type: 'Sequence', pretokenizers: [
      split({ Regex: '\\s+|\\p{P}+' }, behavior, invert), split({ String: 'll' }, behavior, invert), metaspace('always', false)] },
    null, fallbackDecoder);
  }
}
// A pattern that also matches the empty string between characters, over fewer texts (SHORT_TEXTS).
const SHORT = new Set();
const SHORT_TEXTS = TEXTS.filter((t) => /l|\ud83d|^$|^ /.test(t));
for (const behavior of ['Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous']) {
  const name = 'split_empty_matches_' + behavior.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  SHORT.add(name);
  CASES[name] = tokenizer(null,
    { type: 'Sequence', pretokenizers: [split({ Regex: 'l*' }, behavior, false), metaspace('always', false)] }, null, fallbackDecoder);
}
CASES.split_string_spaces = tokenizer(null, split({ String: ' ' }, 'MergedWithNext', false), BOS_EOS_TEMPLATE, fallbackDecoder);

const LEGACY = new Set(['metaspace_legacy_prefix', 'metaspace_legacy_no_prefix']);

async function main() {
  for (const [name, json] of Object.entries(CASES)) {
    const dir = path.join(OUT, name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'tokenizer.json');
    const text = JSON.stringify(json);
    let tok = Tokenizer.fromString(text);
    if (LEGACY.has(name)) fs.writeFileSync(file, JSON.stringify(json) + '\n');
    else {
      tok.save(file, false);
      tok = Tokenizer.fromFile(file);
    }
    const lines = [];
    const texts = SHORT.has(name) ? SHORT_TEXTS : TEXTS;
    for (let i = 0; i < texts.length; i++) {
      // Only a TemplateProcessing adds ids: the other cases keep add_special_tokens false alone.
      for (const addSpecialTokens of json.post_processor?.type === 'TemplateProcessing' ? [false, true] : [false]) {
        const enc = await tok.encode(texts[i], null, { addSpecialTokens });
        const ids = enc.getIds();
        lines.push(JSON.stringify({ id: name + '-' + i + (addSpecialTokens ? '-special' : ''), text: texts[i],
          add_special_tokens: addSpecialTokens, ids, tokens: enc.getTokens(),
          decoded: await tok.decode(ids, false), decoded_skip_special: await tok.decode(ids, true) }));
      }
    }
    fs.writeFileSync(path.join(dir, 'goldens.jsonl'), lines.join('\n') + '\n');
    console.log(name + ': ' + lines.length + ' goldens');
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
