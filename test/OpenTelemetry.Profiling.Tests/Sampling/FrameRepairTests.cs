using System.Buffers.Binary;
using OpenTelemetry.Profiling.Sampling;

namespace OpenTelemetry.Profiling.Tests.Sampling;

[TestClass]
public sealed class FrameRepairTests
{
    [TestMethod]
    public void Decode_AFramelessPrologue_AddsUpItsPushesAndStackAllocation()
    {
        // push rbx; push r14; sub rsp, 0x18; mov eax, ...
        byte[] code = [0x53, 0x41, 0x56, 0x48, 0x83, 0xEC, 0x18, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var shape = FrameRepair.Decode(code);

        Assert.IsFalse(shape.Framed);
        Assert.AreEqual(8 + 8 + 0x18, shape.FrameSize);
        Assert.AreEqual(7, shape.PrologueEnd);
        CollectionAssert.AreEqual(new[] { (1, 8), (3, 16), (7, 40) }, shape.Steps);
    }

    [TestMethod]
    public void Decode_AFramedPrologue_EndsWhereTheFramePointerIsSet()
    {
        // push rbp; push rbx; sub rsp, 0x100 (imm32); lea rbp, [rsp+0x110]; ...
        byte[] code = [0x55, 0x53, 0x48, 0x81, 0xEC, 0x00, 0x01, 0x00, 0x00, 0x48, 0x8D, 0xAC, 0x24, 0x10, 0x01, 0x00, 0x00, 0x90, 0, 0, 0, 0, 0, 0, 0];
        var shape = FrameRepair.Decode(code);

        Assert.IsTrue(shape.Framed);
        Assert.AreEqual(17, shape.PrologueEnd);

        // mov rbp, rsp right after push rbp.
        var simple = FrameRepair.Decode([0x55, 0x48, 0x8B, 0xEC, 0x90, 0, 0, 0, 0, 0, 0, 0]);
        Assert.IsTrue(simple.Framed);
        Assert.AreEqual(4, simple.PrologueEnd);
    }

    [TestMethod]
    public void Decode_AnOnStackReplacementPrologue_IsFramed_AndMarkedAsSuch()
    {
        // mov rax, [rbp]; push rax; push rbx; sub rsp, 0x20; lea rbp, [rsp+0x28]; ...
        byte[] code = [0x48, 0x8B, 0x45, 0x00, 0x50, 0x53, 0x48, 0x83, 0xEC, 0x20, 0x48, 0x8D, 0x6C, 0x24, 0x28, 0x90, 0, 0, 0, 0, 0, 0, 0];
        var shape = FrameRepair.Decode(code);

        Assert.IsTrue(shape.Replacement);
        Assert.IsTrue(shape.Framed);
        Assert.AreEqual(15, shape.PrologueEnd);

        // An ordinary framed prologue is not one; nor is a load through rbp later in a prologue.
        Assert.IsFalse(FrameRepair.Decode([0x55, 0x48, 0x8B, 0xEC, 0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0]).Replacement);
        Assert.IsFalse(FrameRepair.Decode([0x53, 0x48, 0x8B, 0x45, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0]).Replacement);
    }

    [TestMethod]
    public void Repair_AnOnStackReplacementVersion_GetsItsCallerBack_InsteadOfTheLeftoverAddress()
    {
        // Outer (0x4000) -> Caller (0x3000) -> Loop, which started as tier-0 code (0x2000) and moved to its
        // on-stack-replacement version (0x5000) in the middle of its loop, sampled there. The version runs on top
        // of the tier-0 frame; its record links to Caller's frame, and its return address is a leftover pointing
        // into the tier-0 code. The return into Caller is only in the tier-0 frame's record.
        var prologues = new Dictionary<ulong, byte[]>
        {
            [0x2000] = [0x55, 0x48, 0x8B, 0xEC],
            [0x3000] = [0x55, 0x48, 0x8B, 0xEC],
            [0x4000] = [0x55, 0x48, 0x8B, 0xEC],
            [0x5000] = [0x48, 0x8B, 0x45, 0x00, 0x50, 0x48, 0x83, 0xEC, 0x10, 0x48, 0x8D, 0x6C, 0x24, 0x10],
        };
        var repair = new FrameRepair(address => address is >= 0x2000 and < 0x6000 ? address & ~0xFFFUL : 0, address => address is >= 0x1000 and < 0x7000 ? CodeKind.Managed : CodeKind.Unknown, Read);

        const ulong Sp = 0x7000;
        byte[] stack = new byte[0x80];
        void Put(ulong address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(stack.AsSpan((int)(address - Sp)), value);
        Put(0x7058, 0x4010); // Caller's record: return into Outer ...
        Put(0x7050, 0x7070); // ... and Outer's frame pointer
        Put(0x7048, 0x1234); // a local of Caller
        Put(0x7040, 0x3020); // the tier-0 record: return into Caller ...
        Put(0x7038, 0x7050); // ... and Caller's frame pointer
        Put(0x7030, 0x7777); // tier-0 locals
        Put(0x7028, 0x8888);
        Put(0x7018, 0x2040); // the version's record: the leftover return into the tier-0 code ...
        Put(0x7010, 0x7050); // ... and the copy of Caller's frame pointer

        ulong[] chain = [0x5080, 0x2040, 0x4010, 0x6000];
        var output = new ulong[16];
        int count = repair.Repair(chain, ip: 0x5080, sp: Sp, bp: 0x7010, stack, output);

        CollectionAssert.AreEqual(new ulong[] { 0x5080, 0x3020, 0x4010, 0x6000 }, output[..count]);
        Assert.AreEqual(1, repair.ReplacementsBridged);

        // Still in its prologue, the version has no record of its own yet: the frame pointer is the tier-0
        // frame's, and the handler's chain through it is right as it is.
        ulong[] inPrologue = [0x5003, 0x3020, 0x4010, 0x6000];
        count = repair.Repair(inPrologue, ip: 0x5003, sp: Sp, bp: 0x7038, stack, output);
        CollectionAssert.AreEqual(inPrologue, output[..count]);

        // When the stack copy ends before the tier-0 record, the handler's chain is kept ...
        count = repair.Repair(chain, ip: 0x5080, sp: Sp, bp: 0x7010, stack.AsSpan(0, 0x38), output);
        CollectionAssert.AreEqual(chain, output[..count]);
        Assert.AreEqual(1, repair.ReplacementsBridged);

        // ... unless the handler found the tier-0 record beyond the copy: its return goes in place of the leftover.
        count = repair.Repair(chain, ip: 0x5080, sp: Sp, bp: 0x7010, stack.AsSpan(0, 0x38), output, [1], [0x3020]);
        CollectionAssert.AreEqual(new ulong[] { 0x5080, 0x3020, 0x4010, 0x6000 }, output[..count]);
        Assert.AreEqual(2, repair.ReplacementsBridged);

        // The handler reports such slots wherever a record's link appears again; below anything but an
        // on-stack-replacement version they are left alone.
        ulong[] ordinary = [0x3080, 0x4010, 0x6000];
        count = repair.Repair(ordinary, ip: 0x3080, sp: Sp, bp: 0x7050, [], output, [1], [0x2222]);
        CollectionAssert.AreEqual(ordinary, output[..count]);
        count = repair.Repair(ordinary, ip: 0x3080, sp: Sp, bp: 0x7050, stack.AsSpan(0, 0x10), output, [1], [0x2222]);
        CollectionAssert.AreEqual(ordinary, output[..count]);
        Assert.AreEqual(2, repair.ReplacementsBridged);

        bool Read(ulong address, byte[] destination)
        {
            Array.Fill(destination, (byte)0x90);
            if (prologues.TryGetValue(address, out var bytes))
            {
                bytes.CopyTo(destination, 0);
            }

            return true;
        }
    }

    [TestMethod]
    public void Epilogue_FindsTheReturnAddressBehindWhatIsLeftToPop()
    {
        // add rsp, 0x18; pop rbx; pop r14; ret
        Assert.AreEqual((0x18 + 16, false), FrameRepair.Epilogue([0x48, 0x83, 0xC4, 0x18, 0x5B, 0x41, 0x5E, 0xC3, 0, 0, 0, 0, 0, 0, 0, 0]));

        // pop rbp; ret: the frame pointer is still the method's own until it is popped.
        Assert.AreEqual((8, true), FrameRepair.Epilogue([0x5D, 0xC3, 0, 0, 0, 0, 0, 0, 0, 0]));

        // At the ret itself.
        Assert.AreEqual((0, false), FrameRepair.Epilogue([0xC3, 0, 0, 0, 0, 0, 0, 0, 0]));

        // A jmp alone is a jump in the body, not a tail call's epilogue; an ordinary instruction is no epilogue.
        Assert.IsNull(FrameRepair.Epilogue([0xE9, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.IsNull(FrameRepair.Epilogue([0x8B, 0xC3, 0, 0, 0, 0, 0, 0, 0, 0]));
    }

    [TestMethod]
    public void Repair_PutsBackTheCallerOfAFramelessMethod_AndGoesOnWithTheHandlersChain()
    {
        // Outer (0x4000) -> Caller (0x3000) -> Small (0x2000, frameless: push rbx) -> Leaf (0x1000), sampled in
        // Leaf's body. The handler's frame-pointer walk goes from Leaf's record to Caller's, so Caller is missing.
        var prologues = new Dictionary<ulong, byte[]>
        {
            [0x1000] = [0x55, 0x48, 0x8B, 0xEC, 0x48, 0x83, 0xEC, 0x10],
            [0x2000] = [0x53, 0xE8, 0, 0, 0, 0],
            [0x3000] = [0x55, 0x48, 0x8B, 0xEC],
            [0x4000] = [0x55, 0x48, 0x8B, 0xEC],
        };
        ulong Start(ulong address) => address is >= 0x1000 and < 0x5000 ? address & ~0xFFFUL : 0;
        bool Read(ulong address, byte[] destination)
        {
            Array.Fill(destination, (byte)0x90); // nop: body code
            if (prologues.TryGetValue(address, out var bytes))
            {
                bytes.CopyTo(destination, 0);
            }

            return true;
        }

        var repair = new FrameRepair(Start, address => address is >= 0x1000 and < 0x6000 ? CodeKind.Managed : CodeKind.Unknown, Read);

        const ulong Sp = 0x7000;
        byte[] stack = new byte[0x48];
        void Put(ulong address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(stack.AsSpan((int)(address - Sp)), value);
        Put(0x7038, 0x4010); // Caller's record: return into Outer ...
        Put(0x7030, 0x7050); // ... and Outer's frame pointer
        Put(0x7028, 0x3020); // Small's return address into Caller: in no frame record
        Put(0x7020, 0xAAAA); // Small's pushed rbx
        Put(0x7018, 0x2010); // Leaf's record: return into Small ...
        Put(0x7010, 0x7030); // ... and the frame pointer Small left alone: Caller's

        ulong[] chain = [0x1020, 0x2010, 0x4010, 0x5000];
        var output = new ulong[16];
        int count = repair.Repair(chain, ip: 0x1020, sp: Sp, bp: 0x7010, stack, output);

        CollectionAssert.AreEqual(new ulong[] { 0x1020, 0x2010, 0x3020, 0x4010, 0x5000 }, output[..count]);
        Assert.AreEqual(1, repair.FramesAdded);
    }

    [TestMethod]
    public void Repair_WithoutAStackCopy_KeepsTheHandlersChain()
    {
        var repair = new FrameRepair(_ => 0, _ => CodeKind.Managed, (_, _) => true);
        ulong[] chain = [0x1020, 0x2010];
        var output = new ulong[4];

        Assert.AreEqual(2, repair.Repair(chain, 0x1020, 0x7000, 0x7010, [], output));
        CollectionAssert.AreEqual(chain, output[..2]);
    }
}
