/** An OCI content descriptor, as it appears in manifests and indexes. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** What a blob upload needs to know up front: the bytes are checked against both. */
export interface BlobDescriptor {
  digest: string;
  size: number;
}
