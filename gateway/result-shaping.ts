import { createRequire } from 'node:module';
import type {
  CompositeType,
  FieldSelection,
  Operation,
  OutputType,
  Schema,
  Selection,
  SelectionSet,
  Variable,
} from '@apollo/federation-internals';
import type { GraphQLError } from 'graphql';

/*
 * Apollo Gateway's last step, result shaping (`computeResponse` in
 * @apollo/gateway/dist/resultShaping.js): it walks the operation over the merged
 * subgraph answers, keeping the fields asked for, checking each value against its
 * type and bubbling nulls up as graphql-js would. For the dashboard's page of 50
 * cases that walk was the largest single item of the gateway's CPU profile (a fifth
 * of its busy time, more than the six subgraph exchanges together; see
 * `npm run bench -- --only dashboard --profile`). This is the same algorithm, value for value and
 * error for error, without what made it slow: every call into
 * @apollo/federation-internals went through a CommonJS re-export getter, every
 * selection looked up @skip and @include even with no directive on it, every
 * value allocated a result record, and every object of the answer was built
 * without a prototype, which V8 keeps in its slow dictionary layout (see `put`).
 */

// The gateway's own copy of federation-internals: its schema elements are checked with
// `instanceof`, which would fail across two copies of the package.
const gatewayRequire = createRequire(createRequire(import.meta.url).resolve('@apollo/gateway'));
const internals = gatewayRequire('@apollo/federation-internals') as typeof import('@apollo/federation-internals');
const { ERRORS, isCompositeType, isListType, isNonNullType, isObjectType, isSubtype, isValidLeafValue, typenameFieldName } = internals;
const VariableClass = internals.Variable;
const fail: (condition: unknown, message: () => string) => void = internals.assert;
const hasOwn = Object.prototype.hasOwnProperty;

export interface ComputeResponseInput {
  operation: Operation;
  variables?: Record<string, unknown>;
  input: Record<string, unknown> | null | undefined;
  introspectionHandling: (introspectionSelection: FieldSelection) => unknown;
}

export type ComputeResponse = (input: ComputeResponseInput) => { data: Record<string, unknown> | null | undefined; errors: GraphQLError[] };

interface Parameters {
  schema: Schema;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  introspectionHandling: (introspectionSelection: FieldSelection) => unknown;
  /** What Apollo's updateOutputValue returns beside the value: set by each call, read by its caller at once. */
  isInvalid: boolean;
  hasErrors: boolean;
}

const OK = 0;
const NULL_BUBBLE_UP = 1;

export const computeResponse: ComputeResponse = ({ operation, variables, input, introspectionHandling }) => {
  if (!input) return { data: input, errors: [] };
  const schema = operation.schema();
  const parameters: Parameters = {
    schema,
    variables: { __proto__: null, ...operation.collectDefaultedVariableValues(), ...variables } as Record<string, unknown>,
    errors: [],
    introspectionHandling,
    isInvalid: false,
    hasErrors: false,
  };
  const data: Record<string, unknown> = {};
  const result = applySelectionSet(input, operation.selectionSet, data, parameters, [], schema.schemaDefinition.rootType(operation.rootKind)!);
  return { data: result === NULL_BUBBLE_UP ? null : data, errors: parameters.errors };
};

/**
 * Replaces Apollo Gateway's result shaping with `computeResponse` above. Its query
 * plan executor looks the function up on the module's exports at every call, so
 * this takes effect for every gateway in the process.
 */
export function installResultShaping(): void {
  const shaping = gatewayRequire('@apollo/gateway/dist/resultShaping') as { computeResponse: unknown };
  shaping.computeResponse = computeResponse;
}

/**
 * Answers are plain objects, which V8 keeps in its fast layout and JSON.stringify
 * writes faster than Apollo's prototype-less ones; so that an alias such as
 * `__proto__` is still just a field, fields are read own-only and that one is defined.
 */
function put(output: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(output, name, { value, writable: true, enumerable: true, configurable: true });
  else output[name] = value;
}

function shouldSkip(selection: Selection, parameters: Parameters): boolean {
  const element = selection.element;
  if (element.appliedDirectives.length === 0) return false;
  const skip = element.appliedDirectivesOf(parameters.schema.skipDirective())[0];
  const include = element.appliedDirectivesOf(parameters.schema.includeDirective())[0];
  return Boolean((skip && ifValue(skip, parameters.variables)) || (include && !ifValue(include, parameters.variables)));
}

function ifValue(directive: { arguments(): Record<string, unknown> }, variables: Record<string, unknown>): unknown {
  const condition = directive.arguments().if;
  if (condition instanceof VariableClass) {
    const value = variables[(condition as Variable).name];
    assert(value !== undefined && typeof value === 'boolean', () => `Unexpected value ${value} for variable ${condition} of ${directive}`);
    return value;
  }
  return condition;
}

function typeConditionApplies(schema: Schema, typeCondition: CompositeType | undefined, typename: unknown, parentType: CompositeType): boolean {
  if (!typeCondition) return true;
  if (typename) {
    const type = schema.type(typename as string);
    return !!type && isSubtype(typeCondition, type);
  }
  return isSubtype(typeCondition, parentType);
}

function applySelectionSet(
  input: Record<string, unknown>,
  selectionSet: SelectionSet,
  output: Record<string, unknown>,
  parameters: Parameters,
  path: (string | number)[],
  parentType: CompositeType,
): number {
  for (const selection of selectionSet.selections()) {
    if (shouldSkip(selection, parameters)) continue;
    if (selection.kind === 'FieldSelection') {
      const field = selection.element;
      const definition = field.definition;
      const responseName = field.alias ? field.alias : definition.name;
      const outputValue = hasOwn.call(output, responseName) ? output[responseName] : undefined;
      if (definition.isSchemaIntrospectionField()) {
        if (outputValue === undefined) put(output, responseName, parameters.introspectionHandling(selection));
        continue;
      }
      let inputValue = (hasOwn.call(input, responseName) ? input[responseName] : undefined) ?? null;
      if (definition.name === typenameFieldName) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== typenameFieldName) inputValue = input[typenameFieldName] ?? null;
          const type = inputValue !== null && typeof inputValue === 'string' ? (parameters.schema.type(inputValue) ?? parentType) : parentType;
          if (!isObjectType(type)) return NULL_BUBBLE_UP;
          put(output, responseName, type.name);
        }
        continue;
      }
      path.push(responseName);
      const updated = updateOutputValue(outputValue, definition.type!, inputValue, selection.selectionSet, path, parameters, parentType);
      put(output, responseName, updated);
      path.pop();
      if (parameters.isInvalid) return NULL_BUBBLE_UP;
    } else {
      const fragment = selection.element;
      const typename = input[typenameFieldName];
      assert(!typename || typeof typename === 'string', () => `Got unexpected value for __typename: ${typename}`);
      if (typeConditionApplies(parameters.schema, fragment.typeCondition, typename, parentType)) {
        const result = applySelectionSet(input, selection.selectionSet, output, parameters, path, fragment.typeCondition ?? parentType);
        if (result === NULL_BUBBLE_UP) return NULL_BUBBLE_UP;
      }
    }
  }
  return OK;
}

function pathLastElementDescription(path: (string | number)[], currentType: OutputType, parentType: CompositeType): string {
  const element = path[path.length - 1];
  assert(element !== undefined, () => 'Should not have been called on an empty path');
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

/** Returns the value to output, and leaves `isInvalid` and `hasErrors` on `parameters` as Apollo's returns them beside it. */
function updateOutputValue(
  outputValue: unknown,
  type: OutputType,
  inputValue: unknown,
  selectionSet: SelectionSet | undefined,
  path: (string | number)[],
  parameters: Parameters,
  parentType: CompositeType,
): unknown {
  assert(inputValue !== undefined, () => 'Should not pass undefined for `inputValue` to this method');
  parameters.isInvalid = false;
  parameters.hasErrors = false;
  if (outputValue === null || (outputValue !== undefined && !selectionSet)) return outputValue;

  if (isNonNullType(type)) {
    const updated = updateOutputValue(outputValue, type.ofType, inputValue, selectionSet, path, parameters, parentType);
    if (updated === null) {
      if (!parameters.hasErrors) {
        parameters.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${pathLastElementDescription(path, type.ofType, parentType)}.`, {
            path: Array.from(path),
          }),
        );
      }
      parameters.isInvalid = true;
      parameters.hasErrors = true;
      return updated;
    }
    parameters.isInvalid = false;
    parameters.hasErrors = false;
    return updated;
  }

  if (inputValue === null) return null;

  if (isListType(type)) {
    assert(Array.isArray(inputValue), () => `Invalid non-list value ${inputValue} returned by subgraph for list type ${type}`);
    assert(outputValue === undefined || Array.isArray(outputValue), () => `Invalid non-list value ${outputValue} returned by subgraph for list type ${type}`);
    const inputList = inputValue as unknown[];
    const outputList = outputValue as unknown[] | undefined;
    const length = outputList === undefined ? inputList.length : outputList.length;
    assert(
      inputList.length === length,
      () => `[${inputList}].length (${inputList.length}) !== [${outputList ?? new Array(inputList.length).fill(undefined)}].length (${length})`,
    );
    let shouldNullify = false;
    let hasErrors = false;
    const updated = new Array<unknown>(length);
    for (let index = 0; index < length; index++) {
      path.push(index);
      updated[index] = updateOutputValue(outputList?.[index], type.ofType, inputList[index], selectionSet, path, parameters, parentType);
      path.pop();
      shouldNullify ||= parameters.isInvalid;
      hasErrors ||= parameters.hasErrors;
    }
    parameters.isInvalid = false;
    parameters.hasErrors = hasErrors;
    return shouldNullify ? null : updated;
  }

  if (isCompositeType(type)) {
    assert(selectionSet, () => `Invalid empty selection set for composite type ${type}`);
    assert(typeof inputValue === 'object', () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
    assert(outputValue === undefined || typeof outputValue === 'object', () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
    const inputObject = inputValue as Record<string, unknown>;
    const inputTypename = inputObject[typenameFieldName];
    assert(inputTypename === undefined || typeof inputTypename === 'string', () => `Invalid non-string value ${inputTypename} for __typename at ${path}`);
    let objectType: CompositeType = type;
    if (inputTypename) {
      const typenameType = parameters.schema.type(inputTypename as string);
      if (!typenameType || !isCompositeType(typenameType)) {
        parameters.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${pathLastElementDescription(path, type, parentType)}.`, {
            path: Array.from(path),
          }),
        );
        parameters.hasErrors = true;
        return null;
      }
      objectType = typenameType;
    }
    const outputObject = (outputValue === undefined ? {} : outputValue) as Record<string, unknown>;
    const result = applySelectionSet(inputObject, selectionSet!, outputObject, parameters, path, objectType);
    const failed = result === NULL_BUBBLE_UP;
    parameters.isInvalid = false;
    parameters.hasErrors = failed;
    return failed ? null : outputObject;
  }

  assert(outputValue === undefined, () => `Excepted output to be undefined but got ${type} for type ${type}`);
  const valid = isValidLeafValue(parameters.schema, inputValue, type);
  if (!valid) {
    parameters.errors.push(
      ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${pathLastElementDescription(path, type, parentType)}.`, { path: Array.from(path) }),
    );
  }
  parameters.hasErrors = !valid;
  return valid ? inputValue : null;
}

/** Apollo's assertion, its message built only when it fails. */
function assert(condition: unknown, message: () => string): asserts condition {
  if (!condition) fail(condition, message);
}
