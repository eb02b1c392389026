describe("toolchain", () => {
  it("runs the tests on Node 22 from the node devDependency", () => {
    expect(process.versions.node.split(".")[0]).toBe("22");
  });
});
