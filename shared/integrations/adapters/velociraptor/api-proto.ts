import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Velociraptor's server API service definition (the `API.Query` stream and its messages), as
 * pyvelociraptor ships it (shared/reference/providers-intel.md §13). Kept as a string so the Lambda
 * bundle carries it; it is written to a temporary file once per container because proto-loader
 * reads definitions from files.
 */
export const velociraptorApiProto = `syntax = "proto3";

import "google/protobuf/empty.proto";

package proto;

message VQLRequest {
  string Name = 2;
  string VQL = 1;
}

message VQLEnv {
  string key = 1;
  string value = 2;
}

message VQLCollectorArgs {
  repeated VQLEnv env = 3;
  repeated VQLRequest Query = 2;
  // Rows per response message.
  uint64 max_row = 4;
  // Seconds to wait before flushing a partial batch.
  uint64 max_wait = 6;
  float ops_per_second = 24;
  // Multi-organization servers.
  string org_id = 35;
}

message VQLTypeMap {
  string column = 1;
  string type = 2;
}

message VQLResponse {
  // JSON text: an array of row objects.
  string Response = 1;
  repeated string Columns = 2;
  repeated VQLTypeMap types = 8;
  uint64 query_id = 5;
  uint64 part = 6;
  VQLRequest Query = 3;
  // Microseconds since the epoch.
  uint64 timestamp = 4;
  uint64 total_rows = 7;
  // Query log line: errors and warnings appear here.
  string log = 9;
}

message VFSFileBuffer {
  string client_id = 1;
  uint64 offset = 3;
  uint32 length = 4;
  bytes data = 5;
  repeated string components = 6;
}

service API {
  rpc Query(VQLCollectorArgs) returns (stream VQLResponse) {}
  rpc VFSGetBuffer(VFSFileBuffer) returns (VFSFileBuffer) {}
  rpc WriteEvent(VQLResponse) returns (google.protobuf.Empty) {}
}
`;

/** Writes the definition to the temporary directory (once) and returns the file's path. */
export function velociraptorProtoFile(): string {
  const path = join(
    tmpdir(),
    `vigil-velociraptor-api-${createHash('sha256').update(velociraptorApiProto).digest('hex').slice(0, 12)}.proto`,
  );
  if (!existsSync(path)) writeFileSync(path, velociraptorApiProto, { mode: 0o644 });
  return path;
}
