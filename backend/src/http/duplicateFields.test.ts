import { duplicateFields, excessiveNesting, nestingExceeds } from './duplicateFields';

describe('duplicateFields', () => {
  it('names duplicates by path, in document order, as kube does', () => {
    const text =
      '{"spec":{"board":"a","board":"b","enrollment":{}},"spec":{"enrollment":{"publicKey":"k","publicKey":"j"}}}';
    expect(duplicateFields(text)).toEqual(['spec.board', 'spec', 'spec.enrollment.publicKey']);
  });

  it('follows arrays and escaped keys, and finds nothing in a clean body', () => {
    expect(
      duplicateFields('{"env":[{"name":"a"},{"name":"b","name":"c"}],"q\\"k":1,"q\\"k":2}'),
    ).toEqual(['env[1].name', 'q"k']);
    expect(duplicateFields('{"a":{"b":[1,{"c":"}{,\\"["}]},"d":"x"}')).toEqual([]);
  });
});

describe('nesting bounds', () => {
  it('finds the bracket that nests past the limit, ignoring brackets in strings', () => {
    expect(excessiveNesting('{"a":[{"b":"[[[["}]}', 3)).toBeUndefined();
    expect(excessiveNesting('{"a":[{"b":[1]}]}', 3)).toBe('[');
    expect(nestingExceeds({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestingExceeds({ a: [{ b: [1] }] }, 3)).toBe(true);
  });
});
