-- The mail drop's tables (SPEC section 8, docs/drop.md), installed by `propmail db init` after
-- schema.sql. Idempotent and additive, like schema.sql: a table that exists is left as it is.
--
-- MailDrop: one row per planned drop (State planned / committed / cancelled, Settings the JSON
-- of the settings and counts it was planned with). MailPiece: its pieces; a committed drop's
-- pieces are the touches the cadence counts. Suppression: parcels, owner slugs and mailing
-- addresses never mailed (until ExpiresDate, where one is given).

IF OBJECT_ID(N'dbo.MailDrop', N'U') IS NULL
CREATE TABLE dbo.MailDrop (
    DropId INT IDENTITY(1, 1) NOT NULL,
    RegionId INT NOT NULL,
    DropDate DATE NOT NULL,
    State NVARCHAR(16) NOT NULL,
    Pieces INT NOT NULL,
    CreatedDate DATETIME2(6) NOT NULL,
    CommittedDate DATETIME2(6) NULL,
    Settings NVARCHAR(MAX) NULL,
    CONSTRAINT PK_MailDrop PRIMARY KEY CLUSTERED (DropId)
);
GO

IF OBJECT_ID(N'dbo.MailPiece', N'U') IS NULL
CREATE TABLE dbo.MailPiece (
    PieceId INT IDENTITY(1, 1) NOT NULL,
    DropId INT NOT NULL,
    OwnerId INT NULL,
    LocationId INT NOT NULL,
    ListPriorityId INT NULL,
    TouchNumber INT NOT NULL,
    CONSTRAINT PK_MailPiece PRIMARY KEY CLUSTERED (PieceId),
    CONSTRAINT FK_MailPiece_MailDrop FOREIGN KEY (DropId) REFERENCES dbo.MailDrop (DropId)
);
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_MailPiece_DropId')
CREATE INDEX IX_MailPiece_DropId ON dbo.MailPiece (DropId);
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_MailPiece_LocationId')
CREATE INDEX IX_MailPiece_LocationId ON dbo.MailPiece (LocationId);
GO

IF OBJECT_ID(N'dbo.Suppression', N'U') IS NULL
CREATE TABLE dbo.Suppression (
    SuppressionId INT IDENTITY(1, 1) NOT NULL,
    KeyKind NVARCHAR(16) NOT NULL,
    KeyValue NVARCHAR(450) NOT NULL,
    Reason NVARCHAR(255) NOT NULL,
    SourceFile NVARCHAR(1024) NULL,
    AddedDate DATETIME2(6) NOT NULL,
    ExpiresDate DATE NULL,
    CONSTRAINT PK_Suppression PRIMARY KEY CLUSTERED (SuppressionId),
    CONSTRAINT UQ_Suppression_Key UNIQUE (KeyKind, KeyValue)
);
GO
