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
