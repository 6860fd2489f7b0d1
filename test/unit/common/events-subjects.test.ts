import { expect } from "chai";
import { kvEventsSubject, loadSubject } from "#common/events/subjects.js";

describe("event subjects", () => {
  const cases: { namespace: string; model: string; slug: string }[] = [
    { namespace: "kvmesh", model: "stories260K", slug: "stories260k" },
    { namespace: "kvmesh", model: "kvmesh-tiny-random", slug: "kvmesh-tiny-random" },
    { namespace: "prod", model: "Qwen/Qwen2.5-0.5B-Instruct", slug: "qwen_qwen2_5-0_5b-instruct" },
    { namespace: "t1", model: "a.b*c>d e", slug: "a_b_c_d_e" },
  ];
  for (const { namespace, model, slug } of cases) {
    it(`derives the subjects of ${JSON.stringify(model)} in ${namespace}`, () => {
      expect(kvEventsSubject(namespace, model)).to.equal(`kvmesh.${namespace}.${slug}.kv-events`);
      expect(loadSubject(namespace, model)).to.equal(`kvmesh.${namespace}.${slug}.load`);
    });
  }

  it("never lets a model name add subject tokens or wildcards", () => {
    const subject = kvEventsSubject("kvmesh", "org.model/*>");
    expect(subject.split(".")).to.have.length(4);
    expect(subject).to.not.match(/[*>]/);
  });
});
