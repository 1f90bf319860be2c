export {
  DECLARED_FACT_VERSION,
  DEFAULT_DECLARED_MAX_BYTES,
  type DeclaredFileSource,
  type DeclaredParser,
  type DeclaredRegistrySource,
  type DeclaredSourceHandler,
  type DeclaredStatSource,
  declaredFacts,
  type FactDeclaration,
  MACHINE_HIVES,
  MAX_DECLARATIONS,
  MAX_DECLARED_FILES,
  type PluginDeclaredSource,
} from './declared.js';
export {
  type IniEntry,
  type KeyValueEntry,
  type LineRecord,
  MAX_DOCUMENT_DEPTH,
  MAX_DOCUMENT_NODES,
  MAX_LINES_PER_FILE,
  MAX_YAML_ALIASES,
} from './parsers.js';
