/**
 * A generated schema type made deeply readonly: the SDK hands out shared values (loaded rules,
 * configs, reports) that no caller may change.
 */
export type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
