import { describe, expect, it } from "vitest";
import { repositoryRemoteUrl } from "../../../src/git/remote-url.js";

describe("repositoryRemoteUrl", () => {
  it("points at github.com without a GHE host", () => {
    expect(repositoryRemoteUrl({ owner: "octo-org", repo: "hello.world" })).toBe(
      "https://github.com/octo-org/hello.world.git",
    );
  });

  it("follows GHE_HOST and GHE_PROTOCOL like Probot", () => {
    expect(repositoryRemoteUrl({ owner: "o", repo: "r", gheHost: "ghe.example.com" })).toBe(
      "https://ghe.example.com/o/r.git",
    );
    const local = repositoryRemoteUrl({ owner: "o", repo: "r", gheHost: "127.0.0.1:8080", gheProtocol: "http" });
    expect(local).toBe("http://127.0.0.1:8080/o/r.git");
  });

  it.each(["", "..", "a/b", "a b", "x@evil.com", "r?x"])("rejects the name %j", (name) => {
    expect(() => repositoryRemoteUrl({ owner: name, repo: "r" })).toThrow("invalid GitHub owner or repository name");
    expect(() => repositoryRemoteUrl({ owner: "o", repo: name })).toThrow("invalid GitHub owner or repository name");
  });
});
