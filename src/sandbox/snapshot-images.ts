import type Docker from "dockerode";

export interface ImageFacts {
  id: string;
  labels: Record<string, string>;
  size: number;
}

export interface ListedImage extends ImageFacts {
  tags: string[];
}

/** The few image operations the environment cache needs, so each of its steps can be tested with a fake engine. */
export interface SnapshotImages {
  /** undefined when the image is not on this engine. */
  inspect(image: string): Promise<ImageFacts | undefined>;
  /** Images that carry every one of the labels (`name` or `name=value`). */
  list(labels: string[]): Promise<ListedImage[]>;
  /** false when a container still uses the image; an image that is already gone counts as removed. */
  remove(id: string): Promise<boolean>;
  /** The engine's id: builds are serialised per engine, since workers on other engines need their own copy anyway. */
  engineId(): Promise<string>;
}

export function dockerSnapshotImages(docker: Docker): SnapshotImages {
  let engineId: Promise<string> | undefined;
  return {
    async inspect(image) {
      const info = await ignoring404(docker.getImage(image).inspect());
      return info && { id: info.Id, labels: info.Config?.Labels ?? {}, size: info.Size };
    },
    async list(labels) {
      const images = await docker.listImages({ filters: { label: labels } });
      return images.map((image) => ({
        id: image.Id,
        labels: image.Labels ?? {},
        size: image.Size,
        tags: image.RepoTags ?? [],
      }));
    },
    async remove(id) {
      try {
        await docker.getImage(id).remove();
      } catch (error) {
        const statusCode = (error as { statusCode?: unknown }).statusCode;
        if (statusCode === 409) return false;
        if (statusCode !== 404) throw error;
      }
      return true;
    },
    engineId() {
      engineId ??= docker.info().then((info: { ID?: string }) => info.ID ?? "default");
      return engineId;
    },
  };
}

async function ignoring404<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
    throw error;
  }
}
