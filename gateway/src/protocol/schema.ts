/**
 * The vocabulary the message catalogue is written in. One table drives encoding, strict
 * validation, the TypeScript types, the property tests and the docs check, so they cannot
 * disagree with each other.
 */
export type FieldType =
  | { readonly kind: 'uint'; readonly max: number }
  | { readonly kind: 'number' }
  | { readonly kind: 'bool' }
  | {
      readonly kind: 'text';
      readonly maxBytes: number;
      readonly pattern?: RegExp;
      readonly minBytes?: number;
      /** How the pattern reads in the docs. */
      readonly patternName?: string;
    }
  | { readonly kind: 'bytes'; readonly maxBytes: number; readonly minBytes?: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | {
      readonly kind: 'textMap';
      readonly maxEntries: number;
      readonly maxKeyBytes: number;
      readonly maxValueBytes: number;
    }
  | { readonly kind: 'list'; readonly of: FieldType; readonly maxItems: number }
  | { readonly kind: 'struct'; readonly fields: readonly FieldDef[] };

export interface FieldDef {
  readonly key: number;
  readonly name: string;
  readonly type: FieldType;
  readonly optional?: boolean;
  readonly doc: string;
}

export type Direction = 'device-to-gateway' | 'gateway-to-device' | 'both';

export interface MessageDef {
  readonly type: number;
  readonly name: string;
  readonly direction: Direction;
  readonly doc: string;
  readonly fields: readonly FieldDef[];
}

export const uint = (max = 0xffffffff) => ({ kind: 'uint', max }) as const;
export const u64 = uint(Number.MAX_SAFE_INTEGER);
export const text = (maxBytes: number, pattern?: RegExp, minBytes?: number, patternName?: string) =>
  ({ kind: 'text', maxBytes, pattern, minBytes, patternName }) as const;
export const bytes = (maxBytes: number, minBytes?: number) =>
  ({ kind: 'bytes', maxBytes, minBytes }) as const;
export const enumOf = <const V extends readonly string[]>(values: V) =>
  ({ kind: 'enum', values }) as const;
export const list = <const T extends FieldType>(of: T, maxItems: number) =>
  ({ kind: 'list', of, maxItems }) as const;
export const struct = <const F extends readonly FieldDef[]>(fields: F) =>
  ({ kind: 'struct', fields }) as const;

// ---- Type inference: the TypeScript shape of a message from its definition ----

export type ValueOf<T extends FieldType> = T extends { kind: 'uint' | 'number' }
  ? number
  : T extends { kind: 'bool' }
    ? boolean
    : T extends { kind: 'text' }
      ? string
      : T extends { kind: 'bytes' }
        ? Uint8Array
        : T extends { kind: 'enum'; values: infer V extends readonly string[] }
          ? V[number]
          : T extends { kind: 'textMap' }
            ? Record<string, string>
            : T extends { kind: 'list'; of: infer O extends FieldType }
              ? ValueOf<O>[]
              : T extends { kind: 'struct'; fields: infer F extends readonly FieldDef[] }
                ? FieldsOf<F>
                : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type FieldsOf<F extends readonly FieldDef[]> = Simplify<
  { [D in F[number] as D['optional'] extends true ? never : D['name']]: ValueOf<D['type']> } & {
    [D in F[number] as D['optional'] extends true ? D['name'] : never]?: ValueOf<D['type']>;
  }
>;
