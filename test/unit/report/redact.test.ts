import { describe, expect, it } from "vitest";
import { createRedactor } from "../../../src/report/redact.js";

describe("createRedactor", () => {
  it("replaces every occurrence of every value", () => {
    const redactor = createRedactor(["ghs_token123", "hunter2-pass", undefined]);
    expect(redactor.redact("a ghs_token123 b hunter2-pass c ghs_token123")).toBe("a *** b *** c ***");
    expect(redactor.size).toBe(2);
  });

  it("masks overlapping and nested values completely", () => {
    const redactor = createRedactor(["abcdef", "defghi", "cdefgh", "abcdefghijkl"]);
    expect(redactor.redact("x abcdefghi y")).toBe("x *** y");
    expect(redactor.redact("x abcdefghijkl y")).toBe("x *** y");
    expect(redactor.redact("abcdefabcdef")).toBe("***");
  });

  it("redacts the base64 form, also inside a Basic auth header at any alignment", () => {
    const token = "ghs_SuperSecretToken42";
    const redactor = createRedactor([token]);
    expect(redactor.redact(`x ${Buffer.from(token).toString("base64")} y`)).toBe("x *** y");
    for (const user of ["x-access-token", "ab", "abc", "abcd"]) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`;
      const redacted = redactor.redact(header);
      expect(redacted).toContain("***");
      // what is left of the encoded credentials no longer decodes to anything containing the token or a large part of it
      const leftover = redacted.replace("Authorization: Basic ", "").split("***").join("");
      expect(Buffer.from(leftover, "base64").toString("latin1")).not.toContain(token.slice(0, 6));
      expect(leftover.length).toBeLessThanOrEqual(Math.ceil(((user.length + 1) * 4) / 3) + 4);
    }
  });

  it("ignores empty and short values so ordinary text stays intact", () => {
    const redactor = createRedactor(["", "abc", "on", undefined]);
    expect(redactor.size).toBe(0);
    expect(redactor.redact("abc is on")).toBe("abc is on");
  });

  it("treats regex special characters literally", () => {
    const redactor = createRedactor(["a.b*c+(d)?[e]$^|\\"]);
    expect(redactor.redact("pre a.b*c+(d)?[e]$^|\\ post")).toBe("pre *** post");
    expect(redactor.redact("aXbbbc+(d)?[e]$^|\\")).toBe("aXbbbc+(d)?[e]$^|\\");
  });

  it("counts duplicates once and leaves text without secrets unchanged", () => {
    const redactor = createRedactor(["secret-one", "secret-one"]);
    expect(redactor.size).toBe(1);
    expect(redactor.redact("nothing to hide")).toBe("nothing to hide");
    expect(redactor.redact("")).toBe("");
  });
});

describe("createRedactor().add", () => {
  it("hides values added later, in plain and base64 form, and counts them once", () => {
    const redactor = createRedactor(["first-secret"]);
    expect(redactor.redact("ghs_later_token")).toBe("ghs_later_token");
    redactor.add("ghs_later_token");
    redactor.add("ghs_later_token");
    redactor.add("abc");
    expect(redactor.size).toBe(2);
    expect(redactor.redact("a ghs_later_token b")).toBe("a *** b");
    const basic = Buffer.from("x-access-token:ghs_later_token").toString("base64");
    expect(redactor.redact(`Authorization: Basic ${basic}`)).not.toContain(basic.slice(20, 30));
    expect(redactor.redact("first-secret")).toBe("***");
  });
});
