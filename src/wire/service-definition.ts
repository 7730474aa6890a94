import type { DescService } from '@bufbuild/protobuf';
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** Encodes a message or a message init object (`toBinary` needs a real message: TOOLCHAIN gotcha 8). */
export function encodeMessage<Desc extends DescMessage>(
  schema: Desc,
  message: MessageInitShape<Desc>,
): Buffer {
  return Buffer.from(toBinary(schema, create(schema, message)));
}

/**
 * Decodes a message from a received buffer. Byte fields come out as plain `Uint8Array` views (not
 * `Buffer`s), exactly as the domain types expect.
 */
export function decodeMessage<Desc extends DescMessage>(schema: Desc, bytes: Buffer): MessageShape<Desc> {
  return fromBinary(schema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * The grpc-js definition of a protobuf-es service: one entry per unary or server-streaming method,
 * keyed by its local name, at path `/<package>.<Service>/<Method>` (reference §2.2, §2.3).
 */
export function serviceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    if (method.methodKind !== 'unary' && method.methodKind !== 'server_streaming') {
      throw new Error(`${service.typeName}.${method.name}: ${method.methodKind} methods are not supported`);
    }
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: false,
      responseStream: method.methodKind === 'server_streaming',
      requestSerialize: (message) => encodeMessage(method.input, message as MessageInitShape<DescMessage>),
      requestDeserialize: (bytes) => decodeMessage(method.input, bytes),
      responseSerialize: (message) => encodeMessage(method.output, message as MessageInitShape<DescMessage>),
      responseDeserialize: (bytes) => decodeMessage(method.output, bytes),
    };
  }
  return definition;
}
