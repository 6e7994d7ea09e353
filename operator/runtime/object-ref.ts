// The key of one object, shared by the engine and the files it imports (a file of its own so that
// none of them imports the engine back).

export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}
