import * as Minio from 'minio';

/** Connection settings for {@link createS3Client}. */
export interface S3ClientConfig {
  /** `host`, `host:port` or `http(s)://host[:port]` (no path, no credentials). */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Default: from the URL scheme if given, else `true`. */
  readonly useSSL?: boolean;
}

/** A parsed endpoint: what the client connects to, and the host to name in messages. */
export interface S3Endpoint {
  readonly host: string;
  readonly port: number | undefined;
  readonly useSSL: boolean;
}

/**
 * Parses an S3 endpoint setting. Throws `TypeError` (whose message never repeats the value, which
 * may hold credentials) for anything but a bare host[:port] or an http(s) origin.
 */
export function parseS3Endpoint(endpoint: string, useSSL?: boolean): S3Endpoint {
  if (typeof endpoint !== 'string' || endpoint.trim() === '') throw new TypeError('S3 endpoint is required');
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
  let url: URL;
  try {
    url = new URL(hasScheme ? endpoint : `http://${endpoint}`);
  } catch {
    throw new TypeError('S3 endpoint is not a valid host or URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('S3 endpoint must use http or https');
  if (url.username !== '' || url.password !== '') throw new TypeError('S3 endpoint must not contain credentials; use the access and secret key settings');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') throw new TypeError('S3 endpoint must be a host or origin without a path');
  const ssl = useSSL ?? (hasScheme ? url.protocol === 'https:' : true);
  if (typeof ssl !== 'boolean') throw new TypeError('useSSL must be a boolean');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === '' ? undefined : Number(url.port), useSSL: ssl };
}

/**
 * Builds the minio client for the S3 adapter from configuration. Path-style addressing (MinIO and
 * most S3-compatible servers need it). Checks the settings eagerly; never puts secrets in messages.
 */
export function createS3Client(config: S3ClientConfig): Minio.Client {
  if (config === null || typeof config !== 'object') throw new TypeError('createS3Client: config is required');
  const { host, port, useSSL } = parseS3Endpoint(config.endpoint, config.useSSL);
  if (typeof config.accessKey !== 'string' || config.accessKey === '') throw new TypeError('createS3Client: accessKey is required');
  if (typeof config.secretKey !== 'string' || config.secretKey === '') throw new TypeError('createS3Client: secretKey is required');
  const region = config.region ?? 'us-east-1';
  if (typeof region !== 'string' || !/^[a-z0-9-]{1,32}$/.test(region)) throw new TypeError('createS3Client: region must look like "us-east-1"');
  return new Minio.Client({
    endPoint: host,
    ...(port === undefined ? {} : { port }),
    useSSL,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    region,
    pathStyle: true,
  });
}
