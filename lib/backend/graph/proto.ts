/**
 * The few TensorFlow protobuf messages a variables-free SavedModel needs, declared for protobufjs
 * (field numbers from tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto
 * and tensorflow/core/protobuf/{meta_graph,saved_model}.proto). Enums are written as int32, which
 * is the same varint on the wire. Only the fields we set are declared.
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package tensorflow;

message TensorShapeProto {
  message Dim { int64 size = 1; string name = 2; }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
}

message AttrValue {
  message ListValue {
    repeated bytes s = 2;
    repeated int64 i = 3 [packed = true];
    repeated float f = 4 [packed = true];
    repeated bool b = 5 [packed = true];
    repeated int32 type = 6 [packed = true];
    repeated TensorShapeProto shape = 7;
    repeated TensorProto tensor = 8;
  }
  oneof value {
    bytes s = 2;
    int64 i = 3;
    float f = 4;
    bool b = 5;
    int32 type = 6;
    TensorShapeProto shape = 7;
    TensorProto tensor = 8;
    ListValue list = 1;
  }
}

message NodeDef {
  string name = 1;
  string op = 2;
  repeated string input = 3;
  string device = 4;
  map<string, AttrValue> attr = 5;
}

message VersionDef {
  int32 producer = 1;
  int32 min_consumer = 2;
}

message GraphDef {
  repeated NodeDef node = 1;
  VersionDef versions = 4;
}

message MetaGraphDef {
  message MetaInfoDef {
    string meta_graph_version = 1;
    repeated string tags = 4;
    string tensorflow_version = 5;
  }
  MetaInfoDef meta_info_def = 1;
  GraphDef graph_def = 2;
}

message SavedModel {
  int64 saved_model_schema_version = 1;
  repeated MetaGraphDef meta_graphs = 2;
}
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
const SavedModelType = root.lookupType('tensorflow.SavedModel');

export interface ShapeProto {
  dim: { size: number }[];
}

export interface TensorProtoValue {
  dtype: number;
  tensor_shape: ShapeProto;
  tensor_content: Uint8Array;
}

export interface AttrValueProto {
  s?: Uint8Array;
  i?: number;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: ShapeProto;
  tensor?: TensorProtoValue;
  list?: { s?: Uint8Array[]; i?: number[]; f?: number[]; b?: boolean[]; type?: number[] };
}

export interface NodeDefProto {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrValueProto>;
}

/** The tag the graphs are saved and loaded under. */
export const GRAPH_TAG = 'serve';

/** Encode a saved_model.pb holding one MetaGraphDef with these nodes. */
export function encodeSavedModel(nodes: NodeDefProto[], producer: number): Uint8Array {
  const message = SavedModelType.fromObject({
    saved_model_schema_version: 1,
    meta_graphs: [
      {
        meta_info_def: { tags: [GRAPH_TAG], meta_graph_version: 'course-graph' },
        graph_def: { node: nodes, versions: { producer, min_consumer: 0 } },
      },
    ],
  });
  const err = SavedModelType.verify(message);
  if (err) throw new Error(`internal error building the SavedModel: ${err}`);
  return SavedModelType.encode(message).finish();
}

/** Decode a saved_model.pb written by encodeSavedModel (for tests). */
export function decodeSavedModel(bytes: Uint8Array): { nodes: NodeDefProto[] } {
  const obj = SavedModelType.toObject(SavedModelType.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as {
    meta_graphs: { graph_def: { node: NodeDefProto[] } }[];
  };
  return { nodes: obj.meta_graphs[0]?.graph_def.node ?? [] };
}
