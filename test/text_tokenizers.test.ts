// Tokenizers and the default corpus (issue 13): char-level and GPT-2 BPE
// round trips on Unicode text, GPT-2's known ids, the JSON form a checkpoint
// carries, hostile inputs.
import * as nt from '../lib';
import { expectError } from './helpers';

const { CharTokenizer, GPT2Tokenizer, tokenizerFromJSON } = nt.text;

const UNICODE = 'Héllo, wörld! 😀👍🏽 中文字符 e\u0301 a\u0308\n\ttabs\r\n\u{1F468}\u200D\u{1F469}\u200D\u{1F467} end';

describe('CharTokenizer', () => {
  it('has the sorted unique code points of the text as its vocabulary', () => {
    const tok = CharTokenizer.fromText('hello😀 world😀');
    expect(tok.chars).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w', '😀']);
    expect(tok.vocabSize).toBe(9);
    expect(tok.encode('lo😀')).toEqual([4, 5, 8]);
  });

  it('round-trips Unicode text: emoji (one id each), CJK, combining marks, newlines', () => {
    const tok = CharTokenizer.fromText(UNICODE);
    const ids = tok.encode(UNICODE);
    expect(ids.length).toBe([...UNICODE].length);
    expect(tok.decode(ids)).toBe(UNICODE);
    expect(ids.every((i) => Number.isInteger(i) && i >= 0 && i < tok.vocabSize)).toBe(true);
  });

  it('survives its JSON form (as a checkpoint stores it)', () => {
    const tok = CharTokenizer.fromText(UNICODE);
    const back = tokenizerFromJSON(JSON.stringify(tok.toJSON()));
    expect(back).toBeInstanceOf(CharTokenizer);
    expect(back.encode(UNICODE)).toEqual(tok.encode(UNICODE));
    expect((back as InstanceType<typeof CharTokenizer>).chars).toEqual(tok.chars);
  });

  it('names an unknown character, and rejects bad ids and vocabularies', () => {
    const tok = CharTokenizer.fromText('abc');
    expectError(
      () => tok.encode('ab😀'),
      nt.ArgumentError,
      "CharTokenizer.encode: characters of the vocabulary (3 chars), got '😀' (U+1F600) at offset 2",
    );
    expectError(() => tok.decode([0, 3]), nt.IndexError, 'CharTokenizer.decode: ids in [0, 3), got 3');
    expectError(() => tok.decode([0.5]), nt.IndexError, /got 0.5/);
    expectError(() => CharTokenizer.fromText(''), nt.ArgumentError, /at least one character/);
    expectError(() => new CharTokenizer(['a', 'a']), nt.ArgumentError, /'a' twice/);
    expectError(() => new CharTokenizer(['ab']), nt.ArgumentError, /single code points/);
    expectError(() => tokenizerFromJSON({ kind: 'bpe' }), nt.ArgumentError, /kind: 'char'/);
  });
});

describe('GPT2Tokenizer', () => {
  const tok = new GPT2Tokenizer();

  it("gives GPT-2's ids", () => {
    expect(tok.vocabSize).toBe(50257);
    expect(tok.encode('Hello world')).toEqual([15496, 995]);
    expect(tok.decode([15496, 995])).toBe('Hello world');
    expect(tok.decode([tok.eotToken])).toBe('<|endoftext|>');
  });

  it('round-trips Unicode text byte for byte', () => {
    const ids = tok.encode(UNICODE);
    expect(ids.every((i) => i >= 0 && i < 50257)).toBe(true);
    expect(tok.decode(ids)).toBe(UNICODE);
  });

  it('encodes a special token written in the text as plain text', () => {
    const ids = tok.encode('a<|endoftext|>b');
    expect(ids).not.toContain(50256);
    expect(tok.decode(ids)).toBe('a<|endoftext|>b');
  });

  it('survives its JSON form and rejects ids outside the vocabulary', () => {
    expect(tokenizerFromJSON(tok.toJSON()).encode('Hello world')).toEqual([15496, 995]);
    expectError(() => tok.decode([50257]), nt.IndexError, 'GPT2Tokenizer.decode: ids in [0, 50257), got 50257');
    expectError(() => tok.encode(5 as unknown as string), nt.ArgumentError, /text/);
  });
});

describe('defaultCorpus', () => {
  it('is over 1 MB of English read asynchronously, the same string on every call', async () => {
    const text = await nt.datasets.defaultCorpus();
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(text).toContain('Call me Ishmael.');
    expect(await nt.text.defaultCorpus()).toBe(text);
    const tok = CharTokenizer.fromText(text);
    expect(tok.vocabSize).toBeLessThan(200);
    expect(tok.decode(tok.encode(text.slice(0, 5000)))).toBe(text.slice(0, 5000));
  });
});
