import type {
  CreateParams,
  CreateResult,
  DeleteManyParams,
  DeleteManyResult,
  DeleteParams,
  DeleteResult,
  GetListParams,
  GetListResult,
  GetManyParams,
  GetManyReferenceParams,
  GetManyReferenceResult,
  GetManyResult,
  GetOneParams,
  GetOneResult,
  UpdateManyParams,
  UpdateManyResult,
  UpdateParams,
  UpdateResult,
} from "react-admin";

/* eslint-disable @typescript-eslint/no-explicit-any */
/** What one resource can do; leave out what its API cannot. */
export interface ResourceHandler {
  getList?: (params: GetListParams) => Promise<GetListResult<any>>;
  getOne?: (params: GetOneParams) => Promise<GetOneResult<any>>;
  getMany?: (params: GetManyParams) => Promise<GetManyResult<any>>;
  getManyReference?: (params: GetManyReferenceParams) => Promise<GetManyReferenceResult<any>>;
  create?: (params: CreateParams) => Promise<CreateResult<any>>;
  update?: (params: UpdateParams) => Promise<UpdateResult<any>>;
  updateMany?: (params: UpdateManyParams) => Promise<UpdateManyResult<any>>;
  delete?: (params: DeleteParams) => Promise<DeleteResult<any>>;
  deleteMany?: (params: DeleteManyParams) => Promise<DeleteManyResult<any>>;
}

/** The If-Match for a record read from a list that carries `version` (the API's ETag is "v<version>"). */
export const versionETag = (record: { version?: number }) => `"v${record.version}"`;
