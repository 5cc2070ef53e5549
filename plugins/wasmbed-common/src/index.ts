export * from './boards';
export * from './resources/meta';
export * from './resources/device';
export * from './resources/application';
export * from './resources/gateway';
export * from './resources/kinds';
export { withCrdFacts, crdFactsOf, type CrdFacts } from './crd/annotations';
export { toStructuralSchema, UnsupportedSchemaError, type JSONSchemaProps } from './crd/structural';
export { customResourceDefinition } from './crd/customResourceDefinition';
